using k8s;
using k8s.Models;

namespace Platform.Deployment.Tests.Smoke;

/// <summary>
/// A pod of a rendered workload as podman 4.3 can play it. The pod spec is the chart's: environment, Secret references,
/// security context, resources, volumes, arguments and everything else stay as rendered. What changes, and why:
/// <list type="bullet">
/// <item><b>hostAliases</b> map each Service's name to its pods' address: podman has no Services or cluster DNS.</item>
/// <item><b>ports</b> go: podman publishes declared container ports on the host, so two pods with 8080 would clash
/// (the test reaches pods on their own addresses).</item>
/// <item><b>probes</b> go: podman turns them into health checks run by systemd timers, which these machines lack; the
/// test calls each readiness probe's path and port itself, as the kubelet would.</item>
/// <item><b>emptyDir volumes</b> get a name of their pod: podman 4.3 names an emptyDir's volume after the volume
/// alone, so pods would share one /tmp.</item>
/// <item><b>Secret volumes</b> become host folders holding the same files: podman 4.3 writes a Secret volume's files
/// base64-encoded.</item>
/// </list>
/// </summary>
internal static class PlayedPod
{
    /// <summary>The pod podman plays for one replica (or the Job's one run) of a workload.</summary>
    public static V1Pod From(string name, V1PodTemplateSpec template, IReadOnlyDictionary<string, string> serviceAddresses,
        IReadOnlyDictionary<string, string> secretFolders, bool once)
    {
        // A deep copy: the rendered object stays as Helm made it.
        var spec = KubernetesYaml.Deserialize<V1PodSpec>(KubernetesYaml.Serialize(template.Spec), strict: true);
        spec.HostAliases = serviceAddresses.GroupBy(s => s.Value)
            .Select(g => new V1HostAlias { Ip = g.Key, Hostnames = g.Select(s => s.Key).Order(StringComparer.Ordinal).ToList() }).ToList();
        if (once) spec.RestartPolicy = "Never";
        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers))
        {
            container.Ports = null;
            container.StartupProbe = container.LivenessProbe = container.ReadinessProbe = null;
            foreach (var mount in container.VolumeMounts ?? [])
                if (spec.Volumes?.Single(v => v.Name == mount.Name).EmptyDir is not null) mount.Name = $"{name}-{mount.Name}";
        }
        foreach (var volume in spec.Volumes ?? [])
        {
            if (volume.EmptyDir is not null) volume.Name = $"{name}-{volume.Name}";
            if (volume.Secret is { } secret)
            {
                volume.HostPath = new V1HostPathVolumeSource { Path = secretFolders[secret.SecretName], Type = "Directory" };
                volume.Secret = null;
            }
        }
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, Labels = template.Metadata.Labels },
            Spec = spec,
        };
    }
}
