using Lora.Silo.Configuration;
using Lora.Silo.Hosting;

var builder = WebApplication.CreateBuilder();
builder.Configuration.AddSiloOptionSources(args);
try
{
    var options = SiloOptions.FromConfiguration(builder.Configuration);
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
