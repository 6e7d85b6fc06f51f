using k8s.Models;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// helm/platform rendered by Helm itself over several value files, each result parsed strictly into the Kubernetes API
/// types and checked (<see cref="ChartRules"/>), plus what each set of values must give. Values Helm's schema check
/// must refuse are refused by Helm (values.schema.json).
/// </summary>
[Trait("Category", "Chart")]
public sealed class ChartTests : IDisposable
{
    private const string Release = "demo-platform";
    private static readonly string FullValues = Repository.PathOf("helm", "platform", "ci", "full-values.yaml");
    private static readonly string ExternalTlsValues = Repository.PathOf("helm", "platform", "ci", "external-tls-values.yaml");
    private readonly List<string> _files = [];

    public static TheoryData<string> ValueFiles => new() { "", FullValues, ExternalTlsValues };

    [Theory]
    [MemberData(nameof(ValueFiles))]
    public async Task Helm_lint_passes_strictly(string valueFile)
    {
        var lint = await Helm.LintAsync(valueFile.Length == 0 ? [] : [valueFile]);

        Assert.True(lint.ExitCode == 0, lint.Output + lint.Error);
    }

    [Fact]
    public async Task Defaults_four_services_a_migration_hook_a_blob_claim_and_only_the_service_credential_as_the_charts_Secret()
    {
        var manifests = await RenderAsync("");

        Assert.Equal(4, manifests.Count("Deployment"));
        Assert.Equal(4, manifests.Count("Service"));
        Assert.Equal(1, manifests.Count("Job"));
        Assert.Equal(1, manifests.Count("PersistentVolumeClaim"));
        Assert.Equal("demo-platform-service-token", manifests.OfKind("Secret").Single().Name);
        Assert.Equal(0, manifests.Count("StatefulSet"));
        Assert.Equal(4, manifests.Count("ServiceAccount"));
        Assert.Equal(4, manifests.Count("PodDisruptionBudget"));
        Assert.Equal(6, manifests.Count("NetworkPolicy")); // default deny, four services, the migration Job
        Assert.Equal(["demo-platform-database", "demo-platform-rabbitmq", "demo-platform-service-token"], ChartRules.SecretRefs(manifests));

        var gateway = ChartRules.EnvOf(manifests, "demo-platform-gateway");
        Assert.Equal("http://demo-platform-scheduler:8080", gateway["Services__Scheduler"]);
        Assert.Equal("http://demo-platform-model-store:8080", gateway["Services__ModelStore"]);
        Assert.Equal("http://demo-platform-model-store:8082", gateway["Services__ModelStoreTransfers"]);
        // The gateway's own database (API keys, audit log) from the same Secret as the others'; the defaults' limits.
        Assert.Equal(("demo-platform-database", "gateway"), SecretOf(manifests, "demo-platform-gateway", "ConnectionStrings__Gateway"));
        Assert.Equal("Postgres", gateway["Database__Provider"]);
        Assert.Equal(("50", "100", "8"), (gateway["RateLimits__RequestsPerSecond"], gateway["RateLimits__Burst"], gateway["RateLimits__ConcurrentStreams"]));
        Assert.Equal("10", gateway["Authentication__ApiKeys__CacheSeconds"]);
        // No identity provider unless configured; no open mode ever (the gateway refuses it off loopback anyway).
        Assert.DoesNotContain(gateway.Keys, k => k.StartsWith("Authentication__Jwt__", StringComparison.Ordinal) || k == "Authentication__Open");
        var scheduler = ChartRules.EnvOf(manifests, "demo-platform-scheduler");
        Assert.Equal("Postgres", scheduler["Database__Provider"]);
        Assert.Equal("RabbitMq", scheduler["Messaging__Transport"]);
        Assert.Equal("false", scheduler["Database__CreateOnStartup"]);
        Assert.Equal("/data/blobs", ChartRules.EnvOf(manifests, "demo-platform-model-store")["BlobStore__Root"]);
        var worker = ChartRules.EnvOf(manifests, "demo-platform-worker");
        Assert.Equal("1", worker["Worker__Concurrency"]);
        Assert.Equal("00:00:20", worker["Worker__ShutdownGrace"]);
        // The grace period covers the worker's own: 20 s for running jobs, 15 s for the hand-back, and a margin.
        Assert.Equal(45, manifests.Get<V1Deployment>("demo-platform-worker").Spec.Template.Spec.TerminationGracePeriodSeconds);
        Assert.Equal("Recreate", manifests.Get<V1Deployment>("demo-platform-model-store").Spec.Strategy.Type);

        var job = manifests.Get<V1Job>("demo-platform-migrations");
        Assert.Equal("pre-install,pre-upgrade", job.Metadata.Annotations["helm.sh/hook"]);
        // One after the other: the scheduler's database, the model store's, then the gateway's.
        Assert.Equal(["scheduler", "model-store"], job.Spec.Template.Spec.InitContainers.Select(c => c.Name));
        var migrateGateway = job.Spec.Template.Spec.Containers.Single();
        Assert.Equal(("gateway", "platform-gateway:0.1.0"), (migrateGateway.Name, migrateGateway.Image));
        Assert.Equal("gateway", migrateGateway.Env.Single(e => e.Name == "ConnectionStrings__Gateway").ValueFrom.SecretKeyRef.Key);
        // Migrating needs the database only.
        Assert.Equal(["demo-platform-database"], ChartRules.AllContainers(job.Spec.Template.Spec)
            .SelectMany(c => c.Env).Select(e => e.ValueFrom?.SecretKeyRef?.Name).OfType<string>().Distinct());
    }

    [Fact]
    public async Task A_release_named_like_the_chart_does_not_double_the_name()
    {
        var manifests = await RenderAsync("", release: "platform");

        Assert.Contains(manifests.OfKind("Deployment"), d => d.Name == "platform-gateway");
    }

    [Fact]
    public async Task Development_connection_strings_in_values_become_hook_Secrets()
    {
        var manifests = await RenderAsync("""
            database: {connectionStrings: {scheduler: "Host=pg;Database=scheduler", modelStore: "Host=pg;Database=model_store", gateway: "Host=pg;Database=gateway"}}
            rabbitmq: {uri: "amqp://platform:secret@mq:5672/platform"}
            """);

        var connections = manifests.OfKind("Secret").Where(s => s.Name != "demo-platform-service-token").ToList();
        Assert.Equal(2, connections.Count);
        Assert.All(connections, s => Assert.Equal("pre-install,pre-upgrade", s.Annotations["helm.sh/hook"]));
        Assert.Equal(["gateway", "model-store", "scheduler"], manifests.Get<V1Secret>("demo-platform-database").StringData.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["demo-platform-database", "demo-platform-rabbitmq", "demo-platform-service-token"], ChartRules.SecretRefs(manifests));
    }

    [Fact]
    public async Task Existing_Secrets_and_claim_are_used_by_name_and_not_created()
    {
        var manifests = await RenderAsync("""
            authentication: {serviceToken: {existingSecret: platform-internal}}
            database: {existingSecret: pg-connections}
            rabbitmq: {existingSecret: mq-connection}
            modelStore: {blobs: {persistence: {existingClaim: model-blobs}}}
            """, external: ["platform-internal", "pg-connections", "mq-connection", "model-blobs"]);

        Assert.Equal(0, manifests.Count("Secret"));
        Assert.Equal(0, manifests.Count("PersistentVolumeClaim"));
        Assert.Equal(["mq-connection", "pg-connections", "platform-internal"], ChartRules.SecretRefs(manifests));
        Assert.Contains(manifests.Get<V1Deployment>("demo-platform-model-store").Spec.Template.Spec.Volumes,
            v => v.PersistentVolumeClaim?.ClaimName == "model-blobs");
    }

    [Fact]
    public async Task Without_persistence_the_blobs_live_in_an_emptyDir_and_the_model_store_may_roll()
    {
        var manifests = await RenderAsync("modelStore: {blobs: {persistence: {enabled: false}}}");

        Assert.Equal(0, manifests.Count("PersistentVolumeClaim"));
        var store = manifests.Get<V1Deployment>("demo-platform-model-store");
        Assert.Null(store.Spec.Strategy);
        Assert.NotNull(store.Spec.Template.Spec.Volumes.Single(v => v.Name == "blobs").EmptyDir);
    }

    [Fact]
    public async Task Settings_from_Secrets_reach_every_service()
    {
        var manifests = await RenderAsync("""
            extraEnv: [{name: Platform__Shared, valueFrom: {secretKeyRef: {name: platform-internal, key: credential}}}]
            extraEnvFrom: [{secretRef: {name: platform-auth}}]
            worker: {extraEnv: [{name: Logging__LogLevel__Default, value: Debug}]}
            """, external: ["platform-internal", "platform-auth"]);

        foreach (var (m, deployment) in manifests.Of<V1Deployment>())
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Contains(container.Env, e => e.Name == "Platform__Shared" && e.ValueFrom.SecretKeyRef.Name == "platform-internal");
            Assert.Equal("platform-auth", container.EnvFrom.Single().SecretRef.Name);
            Assert.Equal(m.Name == "demo-platform-worker", container.Env.Any(e => e.Name == "Logging__LogLevel__Default"));
        }
        Assert.All(ChartRules.AllContainers(manifests.Get<V1Job>("demo-platform-migrations").Spec.Template.Spec), c => Assert.Null(c.EnvFrom));
    }

    [Fact]
    public async Task Migrations_can_be_turned_off()
    {
        var manifests = await RenderAsync("migrations: {enabled: false}");

        Assert.Equal(0, manifests.Count("Job"));
        Assert.Equal(4, manifests.Count("Deployment"));
    }

    [Fact]
    public async Task More_model_store_replicas_need_a_ReadWriteMany_volume()
    {
        var refused = await Helm.TemplateAsync([Write("modelStore: {replicaCount: 2}")]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("needs a ReadWriteMany blob volume", refused.Error);

        var manifests = await RenderAsync(ExternalTlsValues, external: ExternalTlsSecrets);
        var store = manifests.Get<V1Deployment>("demo-platform-model-store");
        Assert.Equal(2, store.Spec.Replicas);
        Assert.Null(store.Spec.Strategy);
    }

    [Theory]
    [InlineData("gateway: {replicas: 3}", "Additional property replicas is not allowed")]
    [InlineData("worker: {concurrency: two}", "worker.concurrency")]
    [InlineData("scheduler: {resources: {limits: null}}", "limits is required")]
    [InlineData("gateway: {tls: {enabled: true, secret: gw-tls}}", "Additional property secret is not allowed")]
    [InlineData("worker: {autoscaling: {keda: {minReplicas: 0}}}", "Additional property minReplicas is not allowed")]
    [InlineData("database: {inCluster: {enabeld: true}}", "Additional property enabeld is not allowed")]
    [InlineData("database: {tls: {mode: verify-full}}", "database.tls.mode")]
    [InlineData("authentication: {jwt: {audiences: [ml]}}", "Additional property audiences is not allowed")]
    [InlineData("authentication: {serviceToken: {value: hunter2}}", "Additional property value is not allowed")]
    [InlineData("gateway: {rateLimits: {requestsPerSecond: -1}}", "gateway.rateLimits.requestsPerSecond")]
    [InlineData("scheduler: {submission: {publishers: {\"acme user\": acme}}}", "scheduler.submission.publishers")]
    [InlineData("scheduler: {submission: {publishers: {tenant-acme: ACME}}}", "scheduler.submission.publishers.tenant-acme")]
    public async Task The_schema_refuses_a_misspelt_or_mistyped_value(string values, string message)
    {
        var result = await Helm.TemplateAsync([Write(values)]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", result.Error);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public async Task A_misspelt_value_fails_the_schema_on_top_of_the_full_value_file_too()
    {
        var result = await Helm.TemplateAsync([FullValues, Write("ingress: {hosts: [ml.example.com]}")]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Additional property hosts is not allowed", result.Error);
    }

    [Theory]
    [InlineData("database: {connectionStrings: {scheduler: \"Host=pg\", modelStore: \"Host=pg\"}}", "set all three (scheduler, modelStore, gateway) or none")]
    [InlineData("database: {existingSecret: pg, connectionStrings: {scheduler: \"Host=pg\", modelStore: \"Host=pg\", gateway: \"Host=pg\"}}", "either existingSecret or connectionStrings")]
    [InlineData("database: {inCluster: {enabled: true}, existingSecret: pg}", "inCluster.existingSecret holds its password")]
    [InlineData("database: {inCluster: {enabled: true}, tls: {mode: Require}}", "the in-cluster one serves no TLS")]
    [InlineData("rabbitmq: {inCluster: {enabled: true}, uri: \"amqp://u:p@mq/\"}", "uri and inCluster.enabled exclude each other")]
    [InlineData("gateway: {tls: {enabled: true}}", "gateway.tls.secretName is required")]
    [InlineData("authentication: {jwt: {authority: \"https://login.example.com\"}}", "authentication.jwt.audience is required")]
    [InlineData("authentication: {jwt: {issuer: \"https://login.example.com\", audience: ml}}", "needs authentication.jwt.signingKeys")]
    [InlineData("authentication: {jwt: {audience: ml}}", "neither authority nor issuer")]
    [InlineData("scheduler: {submission: {publishers: {tenant-acme: acme}, trustedTenant: acme}}", "publishers and trustedTenant exclude each other")]
    public async Task Contradictory_values_fail_with_a_message_naming_them(string values, string message)
    {
        var result = await Helm.TemplateAsync([Write(values)]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public async Task The_full_value_file_KEDA_ingress_TLS_and_in_cluster_databases_renders_and_passes_the_checks()
    {
        var manifests = await RenderAsync(FullValues, external: ["platform-gateway-tls"]);

        // In-cluster PostgreSQL and RabbitMQ: StatefulSets with data volumes, random passwords kept across upgrades.
        Assert.Equal(2, manifests.Count("StatefulSet"));
        foreach (var name in new[] { "demo-platform-postgresql", "demo-platform-rabbitmq" })
        {
            var server = manifests.Get<V1StatefulSet>(name);
            Assert.Equal("data", server.Spec.VolumeClaimTemplates.Single().Metadata.Name);
            Assert.Equal(999, server.Spec.Template.Spec.SecurityContext.RunAsUser);
            Assert.Equal("keep", manifests.OfKind("Secret").Single(s => s.Name == name).Annotations["helm.sh/resource-policy"]);
        }
        Assert.Equal(["demo-platform-postgresql", "demo-platform-rabbitmq", "demo-platform-service-token", "platform-gateway-tls"], ChartRules.SecretRefs(manifests));
        // No hook can reach a database the release creates: the services migrate their own at start-up.
        Assert.Equal(0, manifests.Count("Job"));
        var scheduler = ChartRules.EnvOf(manifests, "demo-platform-scheduler");
        Assert.Equal("true", scheduler["Database__CreateOnStartup"]);
        Assert.Equal("Host=demo-platform-postgresql;Port=5432;Database=scheduler;Username=platform;Password=$(PLATFORM_POSTGRES_PASSWORD)",
            scheduler["ConnectionStrings__Scheduler"]);
        Assert.Equal("amqp://platform:$(PLATFORM_RABBITMQ_PASSWORD)@demo-platform-rabbitmq:5672/platform", scheduler["ConnectionStrings__RabbitMq"]);
        // The gateway's database in the same server, created by its own migration at start-up.
        var gatewayEnv = ChartRules.EnvOf(manifests, "demo-platform-gateway");
        Assert.Equal("Host=demo-platform-postgresql;Port=5432;Database=gateway;Username=platform;Password=$(PLATFORM_POSTGRES_PASSWORD)",
            gatewayEnv["ConnectionStrings__Gateway"]);
        Assert.Equal("true", gatewayEnv["Database__CreateOnStartup"]);
        // Tenants publishing over AMQP, each RabbitMQ user mapped to its tenant (the scheduler only).
        Assert.Equal("acme", scheduler["Messaging__Submission__Publishers__tenant-acme"]);
        Assert.Equal("beta", scheduler["Messaging__Submission__Publishers__tenant-beta"]);
        Assert.DoesNotContain(ChartRules.EnvOf(manifests, "demo-platform-worker").Keys, k => k.StartsWith("Messaging__Submission", StringComparison.Ordinal));
        // Tokens of the identity provider next to API keys; tighter limits.
        Assert.Equal("https://login.example.com/realms/ml", gatewayEnv["Authentication__Jwt__Authority"]);
        Assert.Equal("ml-platform", gatewayEnv["Authentication__Jwt__Audience"]);
        Assert.Equal("preferred_username", gatewayEnv["Authentication__Jwt__NameClaim"]);
        Assert.Equal(("20", "40", "4"), (gatewayEnv["RateLimits__RequestsPerSecond"], gatewayEnv["RateLimits__Burst"], gatewayEnv["RateLimits__ConcurrentStreams"]));

        // The gateway: TLS from the Secret, autoscaled, behind two Ingresses (gRPC and the byte stream).
        var gateway = manifests.Get<V1Deployment>("demo-platform-gateway");
        Assert.Null(gateway.Spec.Replicas);
        Assert.Equal("/etc/platform/tls/gateway/tls.crt", ChartRules.EnvOf(manifests, "demo-platform-gateway")["Platform__Tls__CertificatePath"]);
        Assert.Equal("platform-gateway-tls", gateway.Spec.Template.Spec.Volumes.Single(v => v.Name == "tls").Secret.SecretName);
        Assert.Equal("demo-platform-gateway", manifests.Get<V2HorizontalPodAutoscaler>("demo-platform-gateway").Spec.ScaleTargetRef.Name);
        var grpc = manifests.Get<V1Ingress>("demo-platform-gateway");
        var transfers = manifests.Get<V1Ingress>("demo-platform-gateway-transfers");
        Assert.Equal("GRPCS", grpc.Metadata.Annotations["nginx.ingress.kubernetes.io/backend-protocol"]);
        Assert.Equal("HTTPS", transfers.Metadata.Annotations["nginx.ingress.kubernetes.io/backend-protocol"]);
        Assert.Equal("ml-example-com-tls", grpc.Spec.Tls.Single().SecretName);
        Assert.Equal("/v1/", transfers.Spec.Rules.Single().Http.Paths.Single().Path);

        // Workers: KEDA on the depth of the training queue, which lives in the scheduler's database.
        Assert.Null(manifests.Get<V1Deployment>("demo-platform-worker").Spec.Replicas);
        var scaled = manifests.OfKind("ScaledObject").Single();
        Assert.Equal("demo-platform-worker", Maps.Text(scaled.Body, "spec", "scaleTargetRef", "name"));
        Assert.Equal("0", Maps.Text(scaled.Body, "spec", "minReplicaCount"));
        var trigger = ((IList<object>)Maps.At(scaled.Body, "spec", "triggers")!).Single();
        Assert.Equal("postgresql", Maps.Text(trigger, "type"));
        Assert.Contains("FROM training_jobs WHERE state IN ('Queued', 'Running')", Maps.Text(trigger, "metadata", "query"));
        Assert.Equal("2", Maps.Text(trigger, "metadata", "targetQueryValue")); // worker.concurrency
        Assert.Equal("demo-platform-postgresql.ml.svc", Maps.Text(trigger, "metadata", "host"));

        Assert.Single(manifests.OfKind("ServiceMonitor"));
    }

    [Fact]
    public async Task TLS_to_external_databases_mounts_their_CAs_and_sets_the_services_settings()
    {
        var manifests = await RenderAsync(ExternalTlsValues, external: ExternalTlsSecrets);

        foreach (var service in new[] { "demo-platform-scheduler", "demo-platform-model-store" })
        {
            var env = ChartRules.EnvOf(manifests, service);
            Assert.Equal("VerifyFull", env["Database__Tls__Mode"]);
            Assert.Equal("/etc/platform/tls/postgresql/ca.crt", env["Database__Tls__RootCertificate"]);
            Assert.Equal("/etc/platform/tls/rabbitmq/ca.crt", env["Messaging__Tls__RootCertificate"]);
        }
        Assert.Equal("VerifyFull", ChartRules.EnvOf(manifests, "demo-platform-gateway")["Database__Tls__Mode"]);
        var job = manifests.Get<V1Job>("demo-platform-migrations");
        Assert.Contains(job.Spec.Template.Spec.Volumes, v => v.Secret?.SecretName == "platform-postgresql-ca");
        Assert.DoesNotContain(job.Spec.Template.Spec.Volumes, v => v.Secret?.SecretName == "platform-rabbitmq-ca");
        Assert.Equal("Messaging__Tls__RootCertificate", Assert.Single(ChartRules.EnvOf(manifests, "demo-platform-worker").Keys, k => k.Contains("Tls", StringComparison.Ordinal)));
        var gateway = manifests.Get<V1Service>("demo-platform-gateway");
        Assert.Equal("LoadBalancer", gateway.Spec.Type);
        Assert.Equal([443, 8081, 8443], gateway.Spec.Ports.Select(p => p.Port));
    }

    [Fact]
    public async Task Network_policies_allow_exactly_the_flows_of_the_design()
    {
        var flows = new NetworkFlows(await RenderAsync(""));
        string?[] ends = ["gateway", "scheduler", "worker", "model-store", "migrations", null];
        var allowed = (from source in ends
                       from destination in ends
                       from port in new[] { 8080, 8081, 8082, 5432, 5672, 53, 443 }
                       where (source ?? destination) is not null && flows.Allowed(source, destination, port)
                       select $"{source ?? "outside"} -> {destination ?? "outside"}:{port}").ToList();
        IEnumerable<string> Between(bool fromOutside, bool toOutside) => allowed
            .Where(f => f.StartsWith("outside ", StringComparison.Ordinal) == fromOutside && f.Contains("-> outside", StringComparison.Ordinal) == toOutside)
            .Order(StringComparer.Ordinal);

        // Pods to pods: only what the design needs.
        Assert.Equal(
        [
            "gateway -> model-store:8080", "gateway -> model-store:8082", "gateway -> scheduler:8080",
            "scheduler -> model-store:8080", "worker -> model-store:8080", "worker -> model-store:8082",
        ], Between(fromOutside: false, toOutside: false));
        // To the outside: DNS for all; PostgreSQL for its owners and the migrations; RabbitMQ for the bus's users.
        Assert.Equal(
        [
            "gateway -> outside:53", "gateway -> outside:5432",
            "migrations -> outside:53", "migrations -> outside:5432",
            "model-store -> outside:53", "model-store -> outside:5432", "model-store -> outside:5672",
            "scheduler -> outside:53", "scheduler -> outside:5432", "scheduler -> outside:5672",
            "worker -> outside:53", "worker -> outside:5672",
        ], Between(fromOutside: false, toOutside: true));
        // From the outside: the gateway's API and byte stream, and the health port of every service (kubelet, Prometheus).
        Assert.Equal(
        [
            "outside -> gateway:8080", "outside -> gateway:8081", "outside -> gateway:8082",
            "outside -> model-store:8081", "outside -> scheduler:8081", "outside -> worker:8081",
        ], Between(fromOutside: true, toOutside: false));
    }

    [Fact]
    public async Task Network_policies_with_in_cluster_servers_let_only_their_clients_in()
    {
        var flows = new NetworkFlows(await RenderAsync(FullValues, external: ["platform-gateway-tls"]));

        Assert.True(flows.Allowed("scheduler", "postgresql", 5432));
        Assert.True(flows.Allowed("model-store", "postgresql", 5432));
        Assert.True(flows.Allowed("gateway", "postgresql", 5432)); // its API keys and audit log
        Assert.False(flows.Allowed("worker", "postgresql", 5432));
        Assert.True(flows.Allowed("worker", "rabbitmq", 5672));
        Assert.False(flows.Allowed("gateway", "rabbitmq", 5672));
        Assert.False(flows.Allowed(null, "rabbitmq", 5672));
        Assert.False(flows.Allowed("scheduler", "rabbitmq", 15672)); // management: port-forward only
        Assert.False(flows.Allowed(null, "postgresql", 5432));
        Assert.False(flows.Allowed(null, "postgresql", 5432, outsideNamespace: "default"));
        // KEDA's operator counts the queued jobs in the scheduler's database.
        Assert.True(flows.Allowed(null, "postgresql", 5432, outsideNamespace: "keda"));
        // The gateway takes clients only from the ingress controller's namespace (networkPolicy.gatewayFrom).
        Assert.True(flows.Allowed(null, "gateway", 8080, outsideNamespace: "ingress-nginx"));
        Assert.False(flows.Allowed(null, "gateway", 8080, outsideNamespace: "default"));
        Assert.False(flows.Allowed("worker", "gateway", 8080));
        // The gateway fetches the identity provider's metadata and keys (networkPolicy.identityProviderTo); nobody else.
        Assert.True(flows.Allowed("gateway", null, 443));
        Assert.False(flows.Allowed("scheduler", null, 443));
        Assert.False(flows.Allowed("worker", null, 443));
    }

    [Fact]
    public async Task The_identity_providers_port_comes_from_its_URL()
    {
        var flows = new NetworkFlows(await RenderAsync("authentication: {jwt: {authority: \"http://keycloak.auth:8180/realms/ml\", audience: ml, requireHttpsMetadata: false}}"));

        Assert.True(flows.Allowed("gateway", null, 8180));
        Assert.True(flows.Allowed("gateway", null, 8180, outsideNamespace: "auth"));
        Assert.False(flows.Allowed("gateway", null, 443));
    }

    [Fact]
    public async Task Every_service_gets_the_service_credential_from_the_charts_kept_Secret_or_yours()
    {
        var generated = await RenderAsync("");
        var secret = generated.Get<V1Secret>("demo-platform-service-token");
        var token = System.Text.Encoding.UTF8.GetString(secret.Data["token"]);
        Assert.True(token.Length >= 32, $"a token of {token.Length} characters");
        // Random per render here; on a cluster `lookup` keeps the value of the Secret already there.
        Assert.NotEqual(token, System.Text.Encoding.UTF8.GetString((await RenderAsync("")).Get<V1Secret>("demo-platform-service-token").Data["token"]));
        var templates = await File.ReadAllTextAsync(Path.Combine(Repository.Chart, "templates", "common", "secrets.yaml"));
        Assert.Contains("lookup \"v1\" \"Secret\" .Release.Namespace $name", templates, StringComparison.Ordinal);

        var yours = await RenderAsync("authentication: {serviceToken: {existingSecret: platform-internal}}", external: ["platform-internal"]);
        Assert.Equal(0, yours.Count("Secret"));
        foreach (var (manifests, name) in new[] { (generated, "demo-platform-service-token"), (yours, "platform-internal") })
        {
            var deployments = manifests.Of<V1Deployment>().ToList();
            Assert.Equal(4, deployments.Count);
            Assert.All(deployments, d => Assert.Equal((name, "token"), SecretOf(manifests, d.Manifest.Name, "Authentication__ServiceToken")));
        }
    }

    [Fact]
    public async Task Tokens_of_an_offline_identity_provider_take_its_issuer_and_public_keys()
    {
        var manifests = await RenderAsync(ExternalTlsValues, external: ExternalTlsSecrets);

        var gateway = ChartRules.EnvOf(manifests, "demo-platform-gateway");
        Assert.Equal("https://idp.internal.example.com", gateway["Authentication__Jwt__Issuer"]);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", gateway["Authentication__Jwt__SigningKeys__0"], StringComparison.Ordinal);
        Assert.False(gateway.ContainsKey("Authentication__Jwt__Authority"));
        // Nothing to fetch: no egress beyond the design's.
        Assert.False(new NetworkFlows(manifests).Allowed("gateway", null, 443));
    }

    [Fact]
    public async Task A_trusted_single_tenant_takes_every_AMQP_submission()
    {
        var manifests = await RenderAsync("scheduler: {submission: {trustedTenant: research}}");

        var scheduler = ChartRules.EnvOf(manifests, "demo-platform-scheduler");
        Assert.Equal("research", scheduler["Messaging__Submission__TrustedTenant"]);
        Assert.DoesNotContain(scheduler.Keys, k => k.StartsWith("Messaging__Submission__Publishers", StringComparison.Ordinal));
        Assert.Empty(UnreadSettings(manifests));
    }

    [Theory]
    [MemberData(nameof(ValueFiles))]
    public async Task Every_setting_the_chart_gives_a_service_is_one_the_services_read(string valueFile)
    {
        var manifests = await RenderAsync(valueFile, external: valueFile == FullValues ? ["platform-gateway-tls"] : ExternalTlsSecrets);

        Assert.Empty(UnreadSettings(manifests));
    }

    [Fact]
    public async Task The_notes_say_how_to_create_the_Secrets_and_run_the_first_job()
    {
        var notes = (await Helm.NotesAsync([])).EnsureSuccess("helm template NOTES.txt").Output;

        Assert.Contains("kubectl -n ml create secret generic demo-platform-database", notes);
        Assert.Contains("kubectl -n ml create secret generic demo-platform-rabbitmq", notes);
        Assert.Contains("--from-literal=gateway='Host=postgres;Database=gateway;", notes);
        // The first admin key from the gateway's own command, then the CLI with it.
        Assert.Contains("kubectl -n ml exec deploy/demo-platform-gateway -- \\\n    dotnet Platform.Gateway.dll keys create --tenant ops --name first-admin --scope admin", notes);
        Assert.Contains("export PLATFORM_API_KEY=", notes);
        Assert.Contains("generated into Secret demo-platform-service-token", notes);
        Assert.Contains("port-forward service/demo-platform-gateway 8080:8080 8082:8082", notes);
        Assert.Contains("export PLATFORM_GATEWAY=http://localhost:8080", notes);
        Assert.Contains("jobs submit --dataset <id> --task multiclass --label Species --trainer lightgbm --watch", notes);
        // In the order a user types them: the CLI makes the tenant's key only once it knows the gateway's address.
        Assert.True(notes.IndexOf("export PLATFORM_GATEWAY=", StringComparison.Ordinal) < notes.IndexOf("keys create acme-ml", StringComparison.Ordinal),
            "the notes create a key with the CLI before they say where the gateway is");
    }

    [Fact]
    public async Task The_notes_follow_the_full_value_file()
    {
        var notes = (await Helm.NotesAsync([FullValues])).EnsureSuccess("helm template NOTES.txt").Output;

        Assert.DoesNotContain("create secret", notes);
        Assert.Contains("export PLATFORM_GATEWAY=https://ml.example.com", notes);
        Assert.Contains("Workers scale with KEDA between 0 and 8", notes);
        Assert.Contains("The services create and migrate their databases at start-up", notes);
        Assert.Contains("Every call needs an API key or a token of https://login.example.com/realms/ml (audience ml-platform)", notes);
    }

    [Fact]
    public async Task The_chart_README_documents_every_value()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Chart, "README.md"));
        var values = k8s.KubernetesYaml.Deserialize<Dictionary<string, object>>(await File.ReadAllTextAsync(Path.Combine(Repository.Chart, "values.yaml")));

        var missing = Leaves(values, "").Where(key => !readme.Contains($"`{key}`", StringComparison.Ordinal)).ToList();

        Assert.Empty(missing);
    }

    public void Dispose()
    {
        foreach (var file in _files) File.Delete(file);
    }

    private static readonly string[] ExternalTlsSecrets =
        ["platform-db", "platform-mq", "platform-postgresql-ca", "platform-rabbitmq-ca", "platform-gateway-tls", "platform-service-token"];

    /// <summary>The Secret and key a workload's first container reads <paramref name="variable"/> from.</summary>
    private static (string Name, string Key) SecretOf(Manifests manifests, string workload, string variable)
    {
        var template = ChartRules.PodTemplates(manifests).Single(t => t.Manifest.Name == workload).Template;
        var reference = template.Spec.Containers[0].Env.Single(e => e.Name == variable).ValueFrom.SecretKeyRef;
        return (reference.Name, reference.Key);
    }

    /// <summary>Every environment variable of the platform's containers that no service reads (<see cref="ConfigurationKeys"/>).</summary>
    private static List<string> UnreadSettings(Manifests manifests)
    {
        var problems = new List<string>();
        foreach (var (workload, template) in ChartRules.PodTemplates(manifests).Where(t => t.Manifest.Kind != "StatefulSet"))
        {
            foreach (var container in ChartRules.AllContainers(template.Spec))
            {
                var env = container.Env ?? [];
                var values = env.Select(e => e.Value).OfType<string>().ToList();
                problems.AddRange(env.Select(e => ConfigurationKeys.Unread(e.Name, values)).OfType<string>().Select(p => $"{workload} {container.Name}: {p}"));
            }
        }
        return problems;
    }

    /// <summary>Renders with the values (a file path, YAML text, or "" for the defaults) and fails on any rule broken.</summary>
    private async Task<Manifests> RenderAsync(string values, string release = Release, IEnumerable<string>? external = null)
    {
        var files = values.Length == 0 ? [] : new[] { File.Exists(values) ? values : Write(values) };
        var result = await Helm.TemplateAsync(files, release: release == Release ? "demo" : release);
        Assert.True(result.ExitCode == 0, $"helm template failed:\n{result.Error}");
        var manifests = Manifests.Parse(result.Output);
        var expected = new HashSet<string>(external ?? [], StringComparer.Ordinal);
        // The connection Secrets the user creates by default.
        expected.UnionWith([$"{(release == Release ? "demo-platform" : release)}-database", $"{(release == Release ? "demo-platform" : release)}-rabbitmq"]);
        var problems = ChartRules.Check(manifests, expected);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        return manifests;
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"platform-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        _files.Add(path);
        return path;
    }

    /// <summary>Dotted paths of values.yaml's leaves (a list or an empty map is a leaf).</summary>
    private static IEnumerable<string> Leaves(object? node, string prefix) => node switch
    {
        IDictionary<string, object> { Count: > 0 } map => map.SelectMany(e => Leaves(e.Value, prefix.Length == 0 ? e.Key : $"{prefix}.{e.Key}")),
        IDictionary<object, object> { Count: > 0 } map => map.SelectMany(e => Leaves(e.Value, prefix.Length == 0 ? $"{e.Key}" : $"{prefix}.{e.Key}")),
        _ => [prefix],
    };
}
