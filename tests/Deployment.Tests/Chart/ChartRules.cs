using System.Text.RegularExpressions;
using k8s.Models;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// What a cluster (or `kubectl apply --dry-run=server`) would otherwise catch in rendered manifests, plus the chart's
/// own rules: every workload non-root, read-only, without capabilities, with resources, probes on the health endpoints,
/// and every reference (Secret, claim, ServiceAccount, selector, port, autoscaler target) pointing at something real.
/// </summary>
internal static partial class ChartRules
{
    /// <summary>The platform's services: container name, whether it serves the byte stream (port 8082).</summary>
    public static readonly IReadOnlyDictionary<string, bool> Services = new Dictionary<string, bool>
    {
        ["gateway"] = true,
        ["scheduler"] = false,
        ["worker"] = false,
        ["model-store"] = true,
    };

    private static readonly string[] RequiredLabels =
        ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "helm.sh/chart"];

    /// <summary>Every problem found; <paramref name="external"/> names Secrets and claims that exist outside the chart.</summary>
    public static List<string> Check(Manifests manifests, ISet<string>? external = null)
    {
        external ??= new HashSet<string>();
        var problems = new List<string>(manifests.ParseProblems);
        var seen = new HashSet<string>();
        foreach (var m in manifests.All)
        {
            if (!seen.Add($"{m.Kind}/{m.Name}")) problems.Add($"{m}: defined twice");
            if (m.Name.Length > 63 || !DnsLabel().IsMatch(m.Name)) problems.Add($"{m}: name is not a DNS label (a-z, 0-9, '-', at most 63)");
            foreach (var label in RequiredLabels.Where(l => !m.Labels.ContainsKey(l)))
                problems.Add($"{m}: label {label} missing");
            foreach (var (label, value) in m.Labels.Where(l => l.Value.Length > 63))
                problems.Add($"{m}: label {label} is longer than 63 characters: {value}");
        }

        foreach (var (m, deployment) in manifests.Of<V1Deployment>())
        {
            problems.AddRange(CheckSelector(m, deployment.Spec.Selector, deployment.Spec.Template));
            var autoscaled = AutoscalerTargets(manifests).Contains(m.Name);
            if (autoscaled && deployment.Spec.Replicas is not null)
                problems.Add($"{m}: spec.replicas is set although an autoscaler scales it (every upgrade would reset the scale)");
            if (!autoscaled && deployment.Spec.Replicas is null)
                problems.Add($"{m}: spec.replicas missing");
            problems.AddRange(CheckPod(m, deployment.Spec.Template.Spec, manifests, external, service: true));
            // Every service refuses to start without the service credential, and it is a secret.
            foreach (var c in deployment.Spec.Template.Spec.Containers.Where(c => Services.ContainsKey(c.Name)))
                if (c.Env?.SingleOrDefault(e => e.Name == "Authentication__ServiceToken")?.ValueFrom?.SecretKeyRef is null)
                    problems.Add($"{m}: container {c.Name} does not get Authentication__ServiceToken from a Secret");
        }
        foreach (var (m, statefulSet) in manifests.Of<V1StatefulSet>())
        {
            problems.AddRange(CheckSelector(m, statefulSet.Spec.Selector, statefulSet.Spec.Template));
            if (manifests.Of<V1Service>().All(s => s.Manifest.Name != statefulSet.Spec.ServiceName))
                problems.Add($"{m}: serviceName {statefulSet.Spec.ServiceName} is not a rendered Service");
            var claims = statefulSet.Spec.VolumeClaimTemplates?.Select(t => t.Metadata.Name).ToHashSet() ?? [];
            problems.AddRange(CheckPod(m, statefulSet.Spec.Template.Spec, manifests, external, service: false, claims));
        }
        foreach (var (m, job) in manifests.Of<V1Job>())
        {
            var hooks = m.Annotations.ValueOrDefault("helm.sh/hook") ?? "";
            if (!hooks.Contains("pre-install", StringComparison.Ordinal) || !hooks.Contains("pre-upgrade", StringComparison.Ordinal))
                problems.Add($"{m}: must be a pre-install,pre-upgrade hook, is \"{hooks}\"");
            var pod = job.Spec.Template.Spec;
            if (pod.RestartPolicy is not ("Never" or "OnFailure")) problems.Add($"{m}: restartPolicy must be Never or OnFailure");
            foreach (var c in AllContainers(pod).Where(c => c.Args?.Contains("migrate") != true))
                problems.Add($"{m}: container {c.Name} does not run migrate (args {string.Join(' ', c.Args ?? [])})");
            problems.AddRange(CheckPod(m, pod, manifests, external, service: false));
        }
        foreach (var (m, service) in manifests.Of<V1Service>())
        {
            var pods = PodsSelectedBy(manifests, service.Spec.Selector);
            if (pods.Count == 0) problems.Add($"{m}: selector matches no workload's pods");
            foreach (var port in service.Spec.Ports)
            {
                var target = port.TargetPort?.Value;
                if (target is not null && !int.TryParse(target, out _)
                    && pods.Any(p => !AllContainers(p.Pod).SelectMany(c => c.Ports ?? []).Any(cp => cp.Name == target)))
                    problems.Add($"{m}: targetPort {target} is not a port of the pods it selects");
            }
        }
        // Helm runs pre-install hooks before it creates the release's other objects: a Secret a hook reads must be one.
        var readByHooks = manifests.Of<V1Job>().SelectMany(j => SecretsOf(j.Body.Spec.Template.Spec)).ToHashSet();
        foreach (var (m, _) in manifests.Of<V1Secret>())
        {
            var hook = m.Annotations.ValueOrDefault("helm.sh/hook") ?? "";
            if (readByHooks.Contains(m.Name) && !hook.Contains("pre-install", StringComparison.Ordinal))
                problems.Add($"{m}: the migration Job reads it, so it must be a pre-install hook (hooks run before the release's other objects)");
        }
        foreach (var (m, pdb) in manifests.Of<V1PodDisruptionBudget>())
        {
            if (PodsSelectedBy(manifests, pdb.Spec.Selector.MatchLabels).Count == 0) problems.Add($"{m}: selector matches no workload's pods");
            if (pdb.Spec.MinAvailable is not null && pdb.Spec.MaxUnavailable is not null) problems.Add($"{m}: both minAvailable and maxUnavailable");
        }
        foreach (var (m, account) in manifests.Of<V1ServiceAccount>())
            if (account.AutomountServiceAccountToken != false) problems.Add($"{m}: automountServiceAccountToken must be false");
        foreach (var (m, hpa) in manifests.Of<V2HorizontalPodAutoscaler>())
        {
            if (hpa.Spec.ScaleTargetRef.Kind != "Deployment" || manifests.Of<V1Deployment>().All(d => d.Manifest.Name != hpa.Spec.ScaleTargetRef.Name))
                problems.Add($"{m}: scaleTargetRef {hpa.Spec.ScaleTargetRef.Kind}/{hpa.Spec.ScaleTargetRef.Name} is not a rendered Deployment");
            if (hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas) problems.Add($"{m}: minReplicas above maxReplicas");
        }
        foreach (var (m, ingress) in manifests.Of<V1Ingress>())
        {
            foreach (var path in ingress.Spec.Rules.SelectMany(r => r.Http.Paths))
            {
                var backend = path.Backend.Service;
                var service = manifests.Of<V1Service>().Where(s => s.Manifest.Name == backend.Name).Select(s => s.Body).SingleOrDefault();
                if (service is null) problems.Add($"{m}: backend Service {backend.Name} is not rendered");
                else if (service.Spec.Ports.All(p => p.Name != backend.Port.Name)) problems.Add($"{m}: Service {backend.Name} has no port {backend.Port.Name}");
            }
        }
        problems.AddRange(CheckNetworkPolicies(manifests));
        problems.AddRange(CheckCustomResources(manifests));
        return problems;
    }

    /// <summary>Every container of a pod, init containers first.</summary>
    public static IEnumerable<V1Container> AllContainers(V1PodSpec pod) => (pod.InitContainers ?? []).Concat(pod.Containers);

    /// <summary>The pod templates of the rendered workloads.</summary>
    public static IEnumerable<(Manifest Manifest, V1PodTemplateSpec Template)> PodTemplates(Manifests manifests) =>
        manifests.Of<V1Deployment>().Select(d => (d.Manifest, d.Body.Spec.Template))
            .Concat(manifests.Of<V1StatefulSet>().Select(s => (s.Manifest, s.Body.Spec.Template)))
            .Concat(manifests.Of<V1Job>().Select(j => (j.Manifest, j.Body.Spec.Template)));

    /// <summary>The Secrets the workloads read (environment and volumes), sorted.</summary>
    public static List<string> SecretRefs(Manifests manifests) =>
        PodTemplates(manifests).SelectMany(t => SecretsOf(t.Template.Spec)).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The Secrets a pod reads: its containers' environment and its volumes.</summary>
    public static IEnumerable<string> SecretsOf(V1PodSpec pod) =>
        AllContainers(pod).SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name)
            .Concat((pod.Volumes ?? []).Select(v => v.Secret?.SecretName))
            .OfType<string>();

    /// <summary>The plain environment of a workload's container (values only, not Secret references).</summary>
    public static Dictionary<string, string> EnvOf(Manifests manifests, string workload, string? container = null)
    {
        var template = PodTemplates(manifests).Single(t => t.Manifest.Name == workload).Template;
        var c = container is null ? template.Spec.Containers[0] : AllContainers(template.Spec).Single(x => x.Name == container);
        return (c.Env ?? []).Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
    }

    private static HashSet<string> AutoscalerTargets(Manifests manifests) =>
        manifests.Of<V2HorizontalPodAutoscaler>().Select(h => h.Body.Spec.ScaleTargetRef.Name)
            .Concat(manifests.OfKind("ScaledObject").Select(s => Maps.Text(s.Body, "spec", "scaleTargetRef", "name")).OfType<string>())
            .ToHashSet();

    private static List<(Manifest Owner, V1PodSpec Pod, IDictionary<string, string> Labels)> PodsSelectedBy(Manifests manifests, IDictionary<string, string>? selector)
    {
        if (selector is null || selector.Count == 0) return [];
        return PodTemplates(manifests)
            .Where(t => selector.All(s => t.Template.Metadata.Labels?.ValueOrDefault(s.Key) == s.Value))
            .Select(t => (t.Manifest, t.Template.Spec, t.Template.Metadata.Labels))
            .ToList();
    }

    private static IEnumerable<string> CheckSelector(Manifest m, V1LabelSelector selector, V1PodTemplateSpec template)
    {
        if (selector.MatchLabels is null || selector.MatchLabels.Count == 0) yield return $"{m}: spec.selector.matchLabels is empty";
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
            if (template.Metadata.Labels?.ValueOrDefault(key) != value) yield return $"{m}: selector {key}={value} does not match the pod template's labels";
    }

    private static List<string> CheckPod(Manifest owner, V1PodSpec pod, Manifests manifests, ISet<string> external, bool service,
        ISet<string>? claimTemplates = null)
    {
        var problems = new List<string>();
        void Report(string problem) => problems.Add($"{owner}: {problem}");
        if (pod.SecurityContext?.RunAsNonRoot != true) Report("securityContext.runAsNonRoot must be true");
        if (pod.SecurityContext?.SeccompProfile?.Type != "RuntimeDefault") Report("securityContext.seccompProfile must be RuntimeDefault");
        if (pod.AutomountServiceAccountToken != false) Report("automountServiceAccountToken must be false (nothing here calls the Kubernetes API)");
        if (pod.ServiceAccountName is { } account && account != "default" && !external.Contains(account)
            && manifests.Of<V1ServiceAccount>().All(s => s.Manifest.Name != account))
            Report($"serviceAccountName {account} is not a rendered ServiceAccount");
        var volumes = (pod.Volumes ?? []).ToDictionary(v => v.Name);
        foreach (var claim in claimTemplates ?? new HashSet<string>()) volumes.TryAdd(claim, new V1Volume { Name = claim });
        foreach (var c in AllContainers(pod))
        {
            void ReportContainer(string problem) => Report($"container {c.Name}: {problem}");
            if (string.IsNullOrEmpty(c.Image) || !c.Image.Contains(':', StringComparison.Ordinal) || c.Image.EndsWith(':')) ReportContainer($"image without a tag: {c.Image}");
            foreach (var (kind, list) in new[] { ("requests", c.Resources?.Requests), ("limits", c.Resources?.Limits) })
                foreach (var resource in new[] { "cpu", "memory" }.Where(r => list?.ContainsKey(r) != true))
                    ReportContainer($"resources.{kind}.{resource} missing");
            var sc = c.SecurityContext;
            if (sc?.ReadOnlyRootFilesystem != true) ReportContainer("securityContext.readOnlyRootFilesystem must be true");
            if (sc?.AllowPrivilegeEscalation != false) ReportContainer("securityContext.allowPrivilegeEscalation must be false");
            if (sc?.Capabilities?.Drop?.Contains("ALL") != true) ReportContainer("securityContext.capabilities.drop must contain ALL");
            var mounts = new Dictionary<string, string>();
            foreach (var mount in c.VolumeMounts ?? [])
            {
                mounts[mount.MountPath] = mount.Name;
                if (!volumes.ContainsKey(mount.Name)) ReportContainer($"volumeMount {mount.Name} refers to no volume");
            }
            if (!mounts.TryGetValue("/tmp", out var tmp) || volumes.GetValueOrDefault(tmp)?.EmptyDir is null)
                ReportContainer("/tmp must be an emptyDir mount (the root filesystem is read-only)");
            foreach (var duplicate in (c.Env ?? []).GroupBy(e => e.Name).Where(g => g.Count() > 1))
                ReportContainer($"env {duplicate.Key} set twice");
            var secrets = (c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name).Concat((c.EnvFrom ?? []).Select(e => e.SecretRef?.Name)).OfType<string>();
            foreach (var secret in secrets)
                if (!external.Contains(secret) && !manifests.Of<V1Secret>().Any(s => s.Manifest.Name == secret))
                    ReportContainer($"env reads Secret {secret}, which is neither rendered nor expected to exist");
            if (!service || !Services.TryGetValue(c.Name, out var transfers)) continue;
            var ports = (c.Ports ?? []).ToDictionary(p => p.Name ?? "", p => p.ContainerPort);
            if (ports.GetValueOrDefault("grpc") != 8080 || ports.GetValueOrDefault("http") != 8081)
                ReportContainer($"ports must be grpc 8080 and http 8081, are {string.Join(", ", ports)}");
            if (transfers && ports.GetValueOrDefault("transfers") != 8082)
                ReportContainer("must have port transfers 8082 (the byte stream)");
            foreach (var (probe, path) in new[] { (c.StartupProbe, "/health/live"), (c.LivenessProbe, "/health/live"), (c.ReadinessProbe, "/health/ready") })
                if (probe?.HttpGet?.Path != path || probe.HttpGet.Port?.Value != "http")
                    ReportContainer($"a probe must GET {path} on port http (startup, liveness: /health/live; readiness: /health/ready)");
        }
        foreach (var volume in volumes.Values)
        {
            if (volume.PersistentVolumeClaim?.ClaimName is { } claim && !external.Contains(claim)
                && manifests.Of<V1PersistentVolumeClaim>().All(p => p.Manifest.Name != claim))
                Report($"volume {volume.Name} uses claim {claim}, which is neither rendered nor expected to exist");
            if (volume.Secret?.SecretName is { } secret && !external.Contains(secret) && manifests.Of<V1Secret>().All(s => s.Manifest.Name != secret))
                Report($"volume {volume.Name} uses Secret {secret}, which is neither rendered nor expected to exist");
            if (volume.ConfigMap?.Name is { } configMap && manifests.Of<V1ConfigMap>().All(s => s.Manifest.Name != configMap))
                Report($"volume {volume.Name} uses ConfigMap {configMap}, which is not rendered");
        }
        return problems;
    }

    private static IEnumerable<string> CheckNetworkPolicies(Manifests manifests)
    {
        foreach (var (m, policy) in manifests.Of<V1NetworkPolicy>())
        {
            if (PodsSelectedBy(manifests, policy.Spec.PodSelector.MatchLabels).Count == 0)
                yield return $"{m}: podSelector matches no workload's pods";
            var peers = (policy.Spec.Ingress ?? []).SelectMany(r => r.FromProperty ?? []).Concat((policy.Spec.Egress ?? []).SelectMany(r => r.To ?? []));
            foreach (var peer in peers.Where(p => p.PodSelector?.MatchLabels is { Count: > 0 } && p.NamespaceSelector is null))
                if (PodsSelectedBy(manifests, peer.PodSelector.MatchLabels).Count == 0)
                    yield return $"{m}: a peer selects no workload's pods: {string.Join(",", peer.PodSelector.MatchLabels)}";
        }
    }

    private static IEnumerable<string> CheckCustomResources(Manifests manifests)
    {
        foreach (var scaled in manifests.OfKind("ScaledObject"))
        {
            var target = Maps.Text(scaled.Body, "spec", "scaleTargetRef", "name");
            if (manifests.Of<V1Deployment>().All(d => d.Manifest.Name != target)) yield return $"{scaled}: scaleTargetRef {target} is not a rendered Deployment";
            if (Maps.At(scaled.Body, "spec", "triggers") is not IList<object> { Count: > 0 } triggers)
            {
                yield return $"{scaled}: no triggers";
                continue;
            }
            foreach (var trigger in triggers)
            {
                var auth = Maps.Text(trigger, "authenticationRef", "name");
                if (auth is not null && manifests.OfKind("TriggerAuthentication").All(t => t.Name != auth))
                    yield return $"{scaled}: authenticationRef {auth} is not a rendered TriggerAuthentication";
            }
        }
        foreach (var monitor in manifests.OfKind("ServiceMonitor"))
        {
            var selected = manifests.Of<V1Service>().Where(s => s.Body.Spec.Ports.Any(p => p.Name == "http")).ToList();
            if (selected.Count == 0) yield return $"{monitor}: no Service has the port it scrapes";
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
