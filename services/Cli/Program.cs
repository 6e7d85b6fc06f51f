using Platform.Cli;

// platformctl: talks gRPC to the gateway only. Everything else lives in PlatformCli.
Func<string, string?> environment = Environment.GetEnvironmentVariable;
return await new PlatformCli(Terminal.ForProcess(environment), environment).InvokeAsync(args);
