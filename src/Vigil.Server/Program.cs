using Vigil.Server.Hosting;

return await VigilServer.RunAsync(args);
