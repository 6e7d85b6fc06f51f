using Platform.ModelStore;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddModelStore();
builder.AddMessaging(bus => bus.AddModelStorePublishing());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelStore();
await app.RunPlatformAsync(args);
