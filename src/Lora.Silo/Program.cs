using Lora.Silo.Configuration;
using Lora.Silo.Hosting;

try
{
    // Options come from LORA_* variables and the command line only: WebApplication's own configuration also holds
    // every unprefixed variable, where Kubernetes service links (SILO_PORT=tcp://…) would pass for options.
    var options = SiloOptions.FromConfiguration(new ConfigurationBuilder().AddSiloOptionSources(args).Build());
    var builder = WebApplication.CreateBuilder();
    builder.AddLoraSilo(options);
    var app = builder.Build();
    app.MapLoraEndpoints(options);
    await app.RunAsync();
    return 0;
}
catch (SiloOptionsException e)
{
    // An operator's typo deserves the options it names, not an unhandled-exception abort with a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
