using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;
using Platform.Worker;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWorker();
builder.AddMessaging(bus => bus.AddWorkerConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunPlatformAsync(args);
