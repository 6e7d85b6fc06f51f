using Platform.Gateway;
using Platform.ModelStore;
using Platform.Scheduler;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;
using Platform.Standalone;
using Platform.Worker;

var builder = WebApplication.CreateBuilder(args);
builder.AddStandaloneDefaults();
builder.AddServiceDefaults();
builder.AddModelStore();
builder.AddScheduler();
builder.AddWorker();
builder.AddGateway();
builder.AddMessaging(bus => bus.AddSchedulerConsumers(), bus => bus.AddWorkerConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelStore();
app.MapScheduler();
app.MapGateway();
await app.RunPlatformAsync(args);
