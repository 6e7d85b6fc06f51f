using Platform.Gateway;
using Platform.ModelStore;
using Platform.Scheduler;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;
using Platform.Serving;
using Platform.Standalone;
using Platform.Worker;

var builder = WebApplication.CreateBuilder(args);
builder.AddStandaloneDefaults();
builder.AddServiceDefaults();
builder.AddModelStore();
builder.AddScheduler();
builder.AddWorker();
builder.AddGateway();
builder.AddServing();
builder.AddMessaging(bus => bus.AddSchedulerConsumers(), bus => bus.AddWorkerConsumers(), bus => bus.AddServingConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelStore();
app.MapScheduler();
app.MapGateway();
app.MapServing();
await app.RunPlatformAsync(args);
