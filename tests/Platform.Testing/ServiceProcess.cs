using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Globalization;
using System.Text;

namespace Platform.Testing;

/// <summary>
/// One platform service running as its own operating-system process (<c>dotnet Platform.X.dll</c>),
/// configured only through environment variables, as in a container.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private readonly IReadOnlyDictionary<string, string> _environment;

    private ServiceProcess(string name, Process process, int grpcPort, int httpPort, int transfersPort, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _process = process;
        _environment = environment;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        TransfersPort = transfersPort;
    }

    public string Name { get; }
    public int GrpcPort { get; }
    public int HttpPort { get; }
    /// <summary>The byte stream's HTTP/1.1 port (<c>Platform:Ports:Transfers</c>), for hosts that serve it.</summary>
    public int TransfersPort { get; }
    /// <summary>The operating-system process id (for example to read its memory use from /proc).</summary>
    public int ProcessId => _process.Id;
    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");
    public Uri TransfersAddress => new($"http://127.0.0.1:{TransfersPort}");

    /// <summary>What the process has printed so far (for failure messages).</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Path of a service's built dll, from the repository's build output.</summary>
    public static string AssemblyPath(string service)
    {
        var configuration = typeof(ServiceProcess).Assembly.Location.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryRoot(), "services", service, "bin", configuration, "net10.0", $"Platform.{service}.dll");
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} does not exist: build the solution first (make test does).");
        return path;
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test folder.");
    }

    /// <summary>
    /// Runs <c>dotnet Platform.{service}.dll {args}</c> to completion (for example <c>migrate</c>, or the gateway's
    /// <c>keys create …</c>) and returns what it printed on standard output.
    /// </summary>
    public static async Task<string> RunToCompletionAsync(string service, string args, IReadOnlyDictionary<string, string> environment)
    {
        using var process = Process.Start(StartInfo(service, args, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{service} {args} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    /// <summary>Starts the service on free ports and waits until <c>/health/ready</c> answers 200.</summary>
    public static Task<ServiceProcess> StartAsync(string service, IReadOnlyDictionary<string, string> environment) =>
        StartAsync(service, environment, FreePort(), FreePort(), FreePort());

    /// <summary>
    /// Starts the same service again, with the same settings on the same ports (so its clients find it where it was), once
    /// this process has ended (for example after <see cref="Kill"/>), and waits until it is ready.
    /// </summary>
    public Task<ServiceProcess> StartAgainAsync()
    {
        if (!_process.HasExited) throw new InvalidOperationException($"{Name} (process {_process.Id}) is still running");
        return StartAsync(Name, _environment, GrpcPort, HttpPort, TransfersPort);
    }

    private static async Task<ServiceProcess> StartAsync(string service, IReadOnlyDictionary<string, string> environment, int grpcPort, int httpPort, int transfersPort)
    {
        var env = new Dictionary<string, string>(environment)
        {
            ["Platform__Ports__Grpc"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Platform__Ports__Http"] = httpPort.ToString(CultureInfo.InvariantCulture),
            // Set for every service (only the model store, the gateway and the standalone host listen on it), so no
            // test process takes the default 8082 another one may hold.
            ["Platform__Ports__Transfers"] = transfersPort.ToString(CultureInfo.InvariantCulture),
            ["Platform__BindAddress"] = "127.0.0.1",
        };
        if (service == "Standalone")
        {
            // Its backends' loopback-only ports, free ones too, so several standalone hosts can run at once.
            env["Platform__Ports__Internal"] = FreePort().ToString(CultureInfo.InvariantCulture);
            env["Platform__Ports__InternalTransfers"] = FreePort().ToString(CultureInfo.InvariantCulture);
            foreach (var (key, value) in environment) env[key] = value;
        }
        var process = Process.Start(StartInfo(service, "", env))!;
        var started = new ServiceProcess(service, process, grpcPort, httpPort, transfersPort, environment);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Generous: on a loaded CI machine a .NET service can take well over a minute to start.
        await started.WaitUntilReadyAsync(TimeSpan.FromSeconds(180));
        return started;
    }

    /// <summary>Kills the process at once, like SIGKILL (no graceful shutdown).</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM, as Kubernetes does to stop a pod: the service shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} ({Name}) exited with {kill.ExitCode}");
    }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string service, string args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{AssemblyPath(service)}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Platform"] = "Information";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return info;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start-up:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} was not ready after {timeout}:\n{Output}");
    }

    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
