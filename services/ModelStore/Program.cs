using Platform.ModelStore;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddModelStore();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapModelStore();
await app.RunPlatformAsync(args);
