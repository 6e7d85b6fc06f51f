using Platform.Scheduler;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddScheduler();
builder.AddMessaging(bus => bus.AddSchedulerConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapScheduler();
await app.RunPlatformAsync(args);
