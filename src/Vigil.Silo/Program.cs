using Vigil.Silo.Hosting;

return await VigilSilo.RunAsync(args);
