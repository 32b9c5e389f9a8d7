// A Vigil silo that also hosts your grains: the Vigil server (the etcd gRPC services, the
// Orleans gateway, the same flags as Vigil.Silo) with the sample grains beside Vigil's.
// Run it in every silo of the cluster, as any silo must host the grains it may activate:
//
//   dotnet Vigil.Samples.Silo.dll --name s1 --store "Host=...;Database=vigil" ...
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Vigil.Silo.Hosting;

return await VigilSilo.RunAsync(args, silo =>
{
    // The sample grains take IVigilClient by injection.
    silo.Services.AddVigilClient();

    // A subscriber grain's keep-alive reminder ticks as often as reminders may (one minute
    // unless Reminders:MinimumReminderPeriod, e.g. the environment variable
    // Reminders__MinimumReminderPeriod=00:00:05, says otherwise): that bounds how long it
    // takes to come back after its silo died. (Not under "Orleans:", which Orleans reads as
    // provider settings.)
    silo.Services.Configure<ReminderOptions>(silo.Configuration.GetSection("Reminders"));
});
