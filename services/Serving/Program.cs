using Platform.Serving;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddServing();
builder.AddMessaging(bus => bus.AddServingConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapServing();
await app.RunPlatformAsync(args);
