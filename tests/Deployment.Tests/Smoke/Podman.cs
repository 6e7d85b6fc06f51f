using System.Text;
using System.Text.Json;

namespace Platform.Deployment.Tests.Smoke;

/// <summary>
/// podman (4.3, Debian's) as the smoke test's stand-in for a kubelet: it plays Kubernetes pod specs with their
/// environment, Secrets, security context, resources and volumes. Everything it makes carries the prefix given, on a
/// network of its own, and is removed by <see cref="RemoveAllAsync"/>.
/// </summary>
internal sealed class Podman(string prefix, string folder)
{
    /// <summary>
    /// podman's settings here: runc (crun refuses these machines' hybrid cgroups) and rlimits root may not raise
    /// beyond the machine's.
    /// </summary>
    private const string ContainersConf = """
        [containers]
        default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
        [engine]
        runtime = "runc"
        """;

    public string Network => $"{prefix}-net";

    private string ConfFile => Path.Combine(folder, "containers.conf");

    public async Task<ProcessResult> RunAsync(params string[] arguments) => await RunAsync(arguments, null);

    public async Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string? input, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(folder);
        if (!File.Exists(ConfFile)) await File.WriteAllTextAsync(ConfFile, ContainersConf);
        return await Processes.RunAsync("podman", arguments, input, new Dictionary<string, string> { ["CONTAINERS_CONF"] = ConfFile }, timeout);
    }

    public async Task<string> CheckedAsync(string what, params string[] arguments) => (await RunAsync(arguments)).EnsureSuccess(what).Output.Trim();

    /// <summary>Copies images from the Docker engine (where they were built) into podman's store.</summary>
    public async Task LoadFromDockerAsync(string docker, IEnumerable<string> images)
    {
        foreach (var image in images)
        {
            var archive = Path.Combine(folder, "image.tar");
            (await Processes.RunAsync(docker, ["save", "-o", archive, image], timeout: TimeSpan.FromMinutes(5))).EnsureSuccess($"docker save {image}");
            (await RunAsync(["load", "-q", "-i", archive], null, TimeSpan.FromMinutes(5))).EnsureSuccess($"podman load {image}");
            File.Delete(archive);
        }
    }

    public async Task CreateNetworkAsync(string subnet) => await CheckedAsync("podman network create", "network", "create", "--subnet", subnet, Network);

    /// <summary>A Secret as `kubectl create secret generic` makes it; podman's form for environment references: {key: base64}.</summary>
    public async Task CreateSecretAsync(string name, IReadOnlyDictionary<string, string> data)
    {
        var json = JsonSerializer.Serialize(data.ToDictionary(d => d.Key, d => Convert.ToBase64String(Encoding.UTF8.GetBytes(d.Value))));
        (await RunAsync(["secret", "create", name, "-"], json)).EnsureSuccess($"podman secret create {name}");
    }

    /// <summary>Plays a pod spec (YAML) on the network with a fixed address.</summary>
    public async Task PlayAsync(string name, string yaml, string address)
    {
        var file = Path.Combine(folder, $"{name}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        (await RunAsync(["kube", "play", "--network", Network, "--ip", address, file], null, TimeSpan.FromMinutes(3))).EnsureSuccess($"podman kube play {name}");
    }

    /// <summary>Runs a container (a server the chart expects outside the cluster) on the network with a fixed address.</summary>
    public async Task RunContainerAsync(string name, string address, string image, params string[] options) =>
        await CheckedAsync($"podman run {name}", ["run", "-d", "--name", name, "--network", Network, "--ip", address, .. options, image]);

    public async Task<string> StateAsync(string container, string format) => await CheckedAsync("podman inspect", "inspect", container, "--format", format);

    public async Task<ProcessResult> ExecAsync(string container, params string[] command) => await RunAsync(["exec", container, .. command]);

    public async Task<string> LogsAsync(string container) { var r = await RunAsync("logs", "--tail", "200", container); return r.Output + r.Error; }

    public async Task<IEnumerable<string>> ContainersAsync() => await NamesAsync("ps", "-a", "--format", "{{.Names}}");

    /// <summary>Removes every pod, container, Secret and volume whose name starts with the prefix, and the network (also a previous run's).</summary>
    public async Task RemoveAllAsync()
    {
        foreach (var pod in await NamesAsync("pod", "ps", "--format", "{{.Name}}")) await RunAsync("pod", "rm", "-f", "-t", "5", pod);
        foreach (var container in await NamesAsync("ps", "-a", "--format", "{{.Names}}")) await RunAsync("rm", "-f", "-t", "5", container);
        foreach (var secret in await NamesAsync("secret", "ls", "--format", "{{.Name}}")) await RunAsync("secret", "rm", secret);
        foreach (var volume in await NamesAsync("volume", "ls", "--format", "{{.Name}}")) await RunAsync("volume", "rm", "-f", volume);
        await RunAsync("network", "rm", "-f", Network);
    }

    private async Task<IEnumerable<string>> NamesAsync(params string[] list) =>
        (await RunAsync(list)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal));
}
