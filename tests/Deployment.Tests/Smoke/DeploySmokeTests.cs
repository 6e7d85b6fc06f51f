using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Platform.Deployment.Tests.Chart;
using Platform.Testing.Tls;
using Xunit.Abstractions;

namespace Platform.Deployment.Tests.Smoke;

/// <summary>
/// The deploy smoke test: the chart's rendered workloads run as real containers of the built images (podman plays
/// their pod specs, see <see cref="PlayedPod"/> for what it cannot take as is), in Helm's order: the user's and the
/// chart's Secrets (the generated service credential), the migration hook to completion, then every Deployment's pods,
/// until each answers its readiness probe. Then the operator makes the first admin key with the gateway container's
/// own command, and with it a tenant's key; the tenant trains through the gateway's container with the CLI, over TLS:
/// upload, two jobs (one per worker container), watch to Succeeded, download. PostgreSQL and RabbitMQ run beside them
/// as the external servers of the default values.
/// </summary>
/// <remarks>
/// Needs: the service images built (make images), the PostgreSQL and RabbitMQ images, podman, root. deploy/smoke/run.sh
/// prepares all of it. PLATFORM_SMOKE_KEEP=1 leaves everything running for a look afterwards.
/// </remarks>
[Trait("Category", "Deploy")]
public sealed partial class DeploySmokeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Release = "platform-smoke"; // names every object platform-smoke-<component>
    private const string Secret = "smoke-secret-password";
    private static readonly string Subnet = Setting("PLATFORM_SMOKE_SUBNET", "10.213.77.0/24");
    private readonly string _folder = Directory.CreateTempSubdirectory("platform-smoke-").FullName;
    private readonly Podman _podman = new(Release, Path.Combine(Path.GetTempPath(), "platform-smoke-podman"));
    private readonly TestCertificateAuthority _ca = new("Platform smoke CA");
    private readonly List<string> _pods = [];
    private bool _passed;

    public async Task InitializeAsync() => await _podman.RemoveAllAsync();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_charts_workloads_run_train_a_job_through_the_gateway_container_and_serve_its_model()
    {
        var tag = Setting("PLATFORM_SMOKE_IMAGE_TAG", ChartAppVersion());
        var postgresImage = Setting("PLATFORM_SMOKE_POSTGRES_IMAGE", "platform-local/postgres:15");
        var rabbitMqImage = Setting("PLATFORM_SMOKE_RABBITMQ_IMAGE", "platform-local/rabbitmq:3-management");
        var images = ChartRules.Services.Keys.Select(s => $"platform-{s}:{tag}").Append(postgresImage).Append(rabbitMqImage).ToList();
        Step($"loading {string.Join(", ", images)} into podman");
        await _podman.LoadFromDockerAsync(Setting("DOCKER", "docker"), images);
        await _podman.CreateNetworkAsync(Subnet);
        var addresses = new Addresses(Subnet);

        Step("the external servers: PostgreSQL and RabbitMQ");
        var servers = new Dictionary<string, string> { ["postgres"] = addresses.Next(), ["rabbitmq"] = addresses.Next() };
        await _podman.RunContainerAsync($"{Release}-postgres", servers["postgres"], postgresImage, "-e", $"POSTGRES_PASSWORD={Secret}");
        await _podman.RunContainerAsync($"{Release}-rabbitmq", servers["rabbitmq"], rabbitMqImage,
            "-e", "RABBITMQ_DEFAULT_USER=platform", "-e", $"RABBITMQ_DEFAULT_PASS={Secret}");
        await WaitAsync("PostgreSQL", async () => (await _podman.ExecAsync($"{Release}-postgres", "pg_isready", "-h", "127.0.0.1")).ExitCode == 0);
        await WaitAsync("RabbitMQ", async () => (await _podman.ExecAsync($"{Release}-rabbitmq", "rabbitmq-diagnostics", "-q", "check_port_connectivity")).ExitCode == 0);

        Step("rendering the chart with Helm (external servers, TLS at the gateway, two workers)");
        var values = Path.Combine(_folder, "values.yaml");
        await File.WriteAllTextAsync(values, $$$"""
            image: {tag: "{{{tag}}}", pullPolicy: Never}
            gateway: {replicaCount: 1, tls: {enabled: true, secretName: {{{Release}}}-gateway-tls}}
            worker: {replicaCount: 2}
            serving: {replicaCount: 1}
            """);
        var rendered = await Helm.TemplateAsync([values], release: Release, ns: "smoke");
        Assert.True(rendered.ExitCode == 0, rendered.Error);
        var manifests = Manifests.Parse(rendered.Output);
        var problems = ChartRules.Check(manifests, new HashSet<string> { $"{Release}-database", $"{Release}-rabbitmq", $"{Release}-gateway-tls" });
        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // Every pod gets its address up front, so that each one's hostAliases can name every Service.
        var pods = new List<(string Name, Manifest Owner, V1PodTemplateSpec Template, string Address)>();
        foreach (var (owner, template) in ChartRules.PodTemplates(manifests).OrderBy(t => t.Manifest.Kind == "Job" ? 0 : 1))
        {
            var replicas = owner.Body is V1Deployment d ? d.Spec.Replicas ?? 1 : 1;
            for (var i = 0; i < replicas; i++)
                pods.Add((owner.Kind == "Job" ? owner.Name : $"{owner.Name}-{i}", owner, template, addresses.Next()));
        }
        var serviceAddresses = new Dictionary<string, string>(servers);
        foreach (var (_, service) in manifests.Of<V1Service>())
            serviceAddresses[service.Metadata.Name] = pods.First(p => service.Spec.Selector.All(s => p.Template.Metadata.Labels.ValueOrDefault(s.Key) == s.Value)).Address;
        var gateway = pods.Single(p => p.Owner.Name == $"{Release}-gateway");
        var serving = pods.Single(p => p.Owner.Name == $"{Release}-serving");

        Step("the user's Secrets, as `kubectl create secret` would make them, and the chart's");
        await _podman.CreateSecretAsync($"{Release}-database", new Dictionary<string, string>
        {
            ["scheduler"] = $"Host=postgres;Database=scheduler;Username=postgres;Password={Secret}",
            ["model-store"] = $"Host=postgres;Database=model_store;Username=postgres;Password={Secret}",
            ["gateway"] = $"Host=postgres;Database=gateway;Username=postgres;Password={Secret}",
            ["serving"] = $"Host=postgres;Database=serving;Username=postgres;Password={Secret}",
        });
        await _podman.CreateSecretAsync($"{Release}-rabbitmq", new Dictionary<string, string> { ["uri"] = $"amqp://platform:{Secret}@rabbitmq:5672/" });
        foreach (var (m, secret) in manifests.Of<V1Secret>())
        {
            var data = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(d => d.Key, d => System.Text.Encoding.UTF8.GetString(d.Value));
            foreach (var (name, value) in secret.StringData ?? new Dictionary<string, string>()) data[name] = value;
            await _podman.CreateSecretAsync(m.Name, data);
        }
        Assert.Contains(manifests.Of<V1Secret>(), s => s.Manifest.Name == $"{Release}-service-token");
        var (certificate, key, _) = _ca.IssueServer("gateway", $"{Release}-gateway", gateway.Address);
        // With the CA beside the key pair, as cert-manager writes it: the serving service checks the gateway's certificate with it.
        var secretFolders = new Dictionary<string, string>
        {
            [$"{Release}-gateway-tls"] = SecretFolder("gateway-tls", ("tls.crt", certificate), ("tls.key", key), ("ca.crt", _ca.CertificatePath)),
        };

        Step("the migration hook: the Job's pod runs to completion first");
        var migration = pods.Single(p => p.Owner.Kind == "Job");
        await PlayAsync(migration, serviceAddresses, secretFolders);
        // podman runs the init containers (the scheduler's migrations, then the model store's) first, in order, and removes
        // each once it succeeded; the gateway's container starts only after both, so its clean exit means all three ran.
        var last = $"{migration.Name}-{migration.Template.Spec.Containers.Single().Name}";
        await WaitAsync($"{last} to finish", async () => await _podman.StateAsync(last, "{{.State.Status}}") == "exited");
        Assert.True(await _podman.StateAsync(last, "{{.State.ExitCode}}") == "0", $"{last} failed:\n{await _podman.LogsAsync(last)}");
        output.WriteLine(await _podman.LogsAsync(last));

        Step("every Deployment's pods, until each answers its readiness probe");
        foreach (var pod in pods.Where(p => p.Owner.Kind == "Deployment"))
            await PlayAsync(pod, serviceAddresses, secretFolders);
        foreach (var pod in pods.Where(p => p.Owner.Kind == "Deployment"))
            await WaitReadyAsync(pod.Name, pod.Template, pod.Address);

        Step("the containers run as the chart says: UID 1654, read-only root, no capabilities");
        foreach (var pod in pods.Where(p => p.Owner.Kind == "Deployment"))
        {
            var container = $"{pod.Name}-{pod.Template.Spec.Containers[0].Name}";
            Assert.Equal("1654", (await _podman.ExecAsync(container, "id", "-u")).Output.Trim());
            Assert.Equal("true", await _podman.StateAsync(container, "{{.HostConfig.ReadonlyRootfs}}"));
            Assert.NotEqual(0, (await _podman.ExecAsync(container, "touch", "/written")).ExitCode);
            Assert.Contains("CapEff:\t0000000000000000", (await _podman.ExecAsync(container, "cat", "/proc/self/status")).Output);
        }

        Step("the gateway refuses a call without a key; the first admin key comes from the gateway container's own command");
        var anonymous = new Cli($"https://{gateway.Address}:8080", $"https://{gateway.Address}:8082", _ca.CertificatePath, ApiKey: null);
        var refused = await anonymous.TryRunAsync("datasets", "list");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Unauthenticated", refused.Output + refused.Error, StringComparison.Ordinal);
        var gatewayContainer = $"{gateway.Name}-{gateway.Template.Spec.Containers[0].Name}";
        var bootstrap = (await _podman.ExecAsync(gatewayContainer, "dotnet", "Platform.Gateway.dll", "keys", "create",
            "--tenant", "ops", "--name", "smoke-admin", "--scope", "admin", "--scope", "jobs:read")).EnsureSuccess("keys create in the gateway container");
        var admin = bootstrap.Output.Trim();
        Assert.StartsWith("plk_", admin, StringComparison.Ordinal);
        // The key is printed on standard output only; the notice beside it names the key's id, never its secret.
        Assert.DoesNotContain(admin, bootstrap.Error, StringComparison.Ordinal);
        var operatorCli = anonymous with { ApiKey = admin };
        var tenantKey = (await operatorCli.RunAsync("--tenant", "smoke", "keys", "create", "smoke-trainer", "--scope", "datasets:write",
            "--scope", "datasets:read", "--scope", "jobs:submit", "--scope", "jobs:read", "--scope", "models:read", "--scope", "models:predict")).Trim();
        Assert.StartsWith("plk_", tenantKey, StringComparison.Ordinal);

        Step($"tenant smoke trains through the gateway container at https://{gateway.Address}:8080 (TLS, the smoke CA trusted)");
        var cli = anonymous with { ApiKey = tenantKey };
        var dataset = (await cli.RunAsync("datasets", "upload", Repository.PathOf("samples", "data", "penguins.csv"), "--quiet")).Trim();
        Assert.Matches("^[0-9a-f-]{36}$", dataset);
        // Two jobs at once, one per worker container (each trains one job at a time).
        var jobs = new List<string>();
        foreach (var seed in new[] { 1, 2 })
            jobs.Add((await cli.RunAsync("jobs", "submit", "--dataset", dataset, "--task", "multiclass", "--label", "Species",
                "--trainer", "lightgbm", "--seed", $"{seed}", "--model-name", $"penguins-{seed}", "--quiet")).Trim());
        var workers = new List<string>();
        foreach (var job in jobs)
        {
            var watched = await cli.RunAsync("jobs", "watch", job);
            workers.Add(WorkerOf().Match(watched).Groups[1].Value);
        }
        output.WriteLine($"trained on {string.Join(" and ", workers)}");
        Assert.All(workers, w => Assert.StartsWith($"{Release}-worker-", w));
        Assert.Equal(2, workers.Distinct().Count());
        var model = Path.Combine(_folder, "penguins-1.zip");
        await cli.RunAsync("models", "download", "penguins-1", "-o", model); // checks the SHA-256
        Assert.True(new FileInfo(model).Length > 0);
        // Tenant smoke's jobs are its own: to the operator's tenant they do not exist (NotFound, never PermissionDenied;
        // admin is no read scope, so the operator's key has jobs:read too).
        var foreign = await operatorCli.TryRunAsync("jobs", "show", jobs[0]);
        Assert.NotEqual(0, foreign.ExitCode);
        Assert.Contains("NotFound", foreign.Output + foreign.Error, StringComparison.Ordinal);

        Step($"tenant smoke predicts with its model through the serving container at http://{serving.Address}:8080 (JSON over HTTP/2)");
        // The serving container checks the key by asking the gateway over TLS (the CA from the gateway's Secret), downloads
        // the model from the model store and answers.
        using var http = new HttpClient();
        // HTTP/2 without TLS (prior knowledge), as curl --http2-prior-knowledge: the port speaks HTTP/2 only.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{serving.Address}:8080/v1/models/penguins-1:predict")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("""{"rows":[{"Island":"Biscoe","Beak Length (mm)":46.5,"Beak Depth (mm)":14.8,"Flipper Length (mm)":217,"Body Mass (g)":5200,"Sex":"FEMALE"}]}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenantKey);
        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        output.WriteLine(answer);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {answer}\n{await _podman.LogsAsync($"{serving.Name}-{serving.Template.Spec.Containers[0].Name}")}");
        Assert.Contains("\"label\":\"Gentoo\"", answer, StringComparison.Ordinal);
        _passed = true;
    }

    public async Task DisposeAsync()
    {
        if (!_passed)
        {
            foreach (var container in await _podman.ContainersAsync())
                output.WriteLine($"---- {container}\n{await _podman.LogsAsync(container)}");
        }
        if (Environment.GetEnvironmentVariable("PLATFORM_SMOKE_KEEP") != "1") await _podman.RemoveAllAsync();
        _ca.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task PlayAsync((string Name, Manifest Owner, V1PodTemplateSpec Template, string Address) pod,
        IReadOnlyDictionary<string, string> services, IReadOnlyDictionary<string, string> secretFolders)
    {
        var played = PlayedPod.From(pod.Name, pod.Template, services, secretFolders, once: pod.Owner.Kind == "Job");
        await _podman.PlayAsync(pod.Name, KubernetesYaml.Serialize(played), pod.Address);
        _pods.Add(pod.Name);
    }

    /// <summary>Calls the readiness probe's path on its port (named ports resolved as the kubelet does) until it answers 200.</summary>
    private async Task WaitReadyAsync(string pod, V1PodTemplateSpec template, string address)
    {
        var container = template.Spec.Containers[0];
        var probe = container.ReadinessProbe.HttpGet;
        var port = int.TryParse(probe.Port.Value, out var number) ? number : container.Ports.Single(p => p.Name == probe.Port.Value).ContainerPort;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitAsync($"{pod} to be ready (GET {probe.Path} on {port})", async () =>
        {
            if (await _podman.StateAsync($"{pod}-{container.Name}", "{{.State.Status}}") == "exited")
                throw new InvalidOperationException($"{pod} exited:\n{await _podman.LogsAsync($"{pod}-{container.Name}")}");
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{address}:{port}{probe.Path}"));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        });
    }

    private async Task WaitAsync(string what, Func<Task<bool>> done)
    {
        var timeout = TimeSpan.FromSeconds(int.Parse(Setting("PLATFORM_SMOKE_WAIT_SECONDS", "300"), System.Globalization.CultureInfo.InvariantCulture));
        var started = DateTime.UtcNow;
        while (!await done())
        {
            if (DateTime.UtcNow - started > timeout) throw new TimeoutException($"waited {timeout} for {what}");
            await Task.Delay(1000);
        }
        output.WriteLine($"  {what}: after {(DateTime.UtcNow - started).TotalSeconds:0} s");
    }

    /// <summary>A host folder with a Secret's files, readable by the pods' user (as a Secret volume's 0644 files are).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private string SecretFolder(string name, params (string File, string Source)[] files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        foreach (var (file, source) in files)
        {
            File.Copy(source, Path.Combine(folder, file));
            File.SetUnixFileMode(Path.Combine(folder, file), (UnixFileMode)0b110_100_100);
        }
        return folder;
    }

    private void Step(string what) => output.WriteLine($"==> {what}");

    private static string Setting(string variable, string fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : fallback;

    private static string ChartAppVersion() =>
        AppVersion().Match(File.ReadAllText(Path.Combine(Repository.Chart, "Chart.yaml"))).Groups[1].Value;

    [GeneratedRegex("""^appVersion:\s*"?([^"\s]+)"?""", RegexOptions.Multiline)]
    private static partial Regex AppVersion();

    [GeneratedRegex(@"s on (\S+)")]
    private static partial Regex WorkerOf();

    /// <summary>Addresses on the smoke network, handed out in order from .10.</summary>
    private sealed class Addresses(string subnet)
    {
        private readonly string _prefix = subnet[..subnet.LastIndexOf('.')];
        private int _next = 10;

        public string Next() => $"{_prefix}.{_next++}";
    }

    /// <summary>
    /// platformctl as a user runs it, against the gateway's container, trusting the smoke CA (SSL_CERT_FILE), with an
    /// API key from PLATFORM_API_KEY (none: the variable is emptied, whatever the test's own environment holds).
    /// </summary>
    private sealed record Cli(string Gateway, string Transfers, string CaFile, string? ApiKey)
    {
        private static readonly string Dll = Directory.EnumerateFiles(Repository.PathOf("services", "Cli", "bin"), "platformctl.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() ?? throw new InvalidOperationException("platformctl.dll is not built: run `make build`.");

        public async Task<string> RunAsync(params string[] arguments) =>
            (await TryRunAsync(arguments)).EnsureSuccess($"platformctl {string.Join(' ', arguments)}").Output;

        public async Task<ProcessResult> TryRunAsync(params string[] arguments) =>
            await Processes.RunAsync("dotnet", [Dll, "--gateway", Gateway, "--transfers", Transfers, .. arguments],
                environment: new Dictionary<string, string> { ["SSL_CERT_FILE"] = CaFile, ["PLATFORM_API_KEY"] = ApiKey ?? "", ["PLATFORM_TENANT"] = "" },
                timeout: TimeSpan.FromMinutes(10));
    }
}
