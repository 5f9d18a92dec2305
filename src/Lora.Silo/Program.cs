using Lora.Silo.Configuration;
using Lora.Silo.Hosting;

var builder = WebApplication.CreateBuilder();
builder.Configuration.AddSiloOptionSources(args);
var options = SiloOptions.FromConfiguration(builder.Configuration);

builder.AddLoraSilo(options);
var app = builder.Build();
app.MapLoraEndpoints(options);
await app.RunAsync();
