using System.Reflection;
using k8s;
using k8s.Models;

namespace Platform.Deployment.Tests.Chart;

/// <summary>One rendered object: where it came from, its kind and name, and its body as a Kubernetes API type.</summary>
internal sealed record Manifest(string Source, string ApiVersion, string Kind, string Name, object Body)
{
    public IDictionary<string, string> Labels => (Body as IMetadata<V1ObjectMeta>)?.Metadata?.Labels ?? MapOf("labels");

    public IDictionary<string, string> Annotations => (Body as IMetadata<V1ObjectMeta>)?.Metadata?.Annotations ?? MapOf("annotations");

    /// <summary>Labels or annotations of a custom resource (a map).</summary>
    private Dictionary<string, string> MapOf(string key) =>
        (Maps.At(Body, "metadata", key) as IDictionary<object, object>)?.ToDictionary(e => $"{e.Key}", e => $"{e.Value}") ?? [];

    public override string ToString() => $"{Kind} {Name} ({Source})";
}

/// <summary>
/// Helm's output parsed strictly into the Kubernetes API types (KubernetesClient's models): a field the API does not
/// have, a misplaced or duplicate key, or a value of the wrong type fails the parse, as the API server would refuse it.
/// Custom resources (KEDA, Prometheus Operator) stay generic maps and get checks of their own.
/// </summary>
internal sealed class Manifests
{
    private static readonly Dictionary<string, Type> Types = new()
    {
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["batch/v1/Job"] = typeof(V1Job),
        ["v1/Service"] = typeof(V1Service),
        ["v1/Secret"] = typeof(V1Secret),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["networking.k8s.io/v1/NetworkPolicy"] = typeof(V1NetworkPolicy),
        ["networking.k8s.io/v1/Ingress"] = typeof(V1Ingress),
        ["autoscaling/v2/HorizontalPodAutoscaler"] = typeof(V2HorizontalPodAutoscaler),
    };

    /// <summary>Custom resources the chart may render, kept as maps.</summary>
    private static readonly HashSet<string> CustomResources =
        ["keda.sh/v1alpha1/ScaledObject", "keda.sh/v1alpha1/TriggerAuthentication", "monitoring.coreos.com/v1/ServiceMonitor"];

    private static readonly MethodInfo Deserialize = typeof(KubernetesYaml).GetMethod(nameof(KubernetesYaml.Deserialize), [typeof(string), typeof(bool)])!;

    private Manifests(IReadOnlyList<Manifest> all, IReadOnlyList<string> problems)
    {
        All = all;
        ParseProblems = problems;
    }

    public IReadOnlyList<Manifest> All { get; }

    /// <summary>Documents that are not valid objects of a known kind.</summary>
    public IReadOnlyList<string> ParseProblems { get; }

    public IEnumerable<Manifest> OfKind(string kind) => All.Where(m => m.Kind == kind);

    public IEnumerable<(Manifest Manifest, T Body)> Of<T>() => All.Where(m => m.Body is T).Select(m => (m, (T)m.Body));

    public T Get<T>(string name) => Of<T>().Where(o => o.Manifest.Name == name).Select(o => o.Body).SingleOrDefault()
        ?? throw new InvalidOperationException($"No {typeof(T).Name} named {name} was rendered; rendered: {string.Join(", ", All)}");

    public int Count(string kind) => OfKind(kind).Count();

    /// <summary>Parses `helm template` output: documents separated by `---`, each led by Helm's `# Source:` comment.</summary>
    public static Manifests Parse(string rendered)
    {
        var all = new List<Manifest>();
        var problems = new List<string>();
        foreach (var document in SplitDocuments(rendered))
        {
            var source = document.Split('\n').FirstOrDefault(l => l.StartsWith("# Source: ", StringComparison.Ordinal))?["# Source: ".Length..] ?? "?";
            Dictionary<string, object> map;
            try
            {
                map = KubernetesYaml.Deserialize<Dictionary<string, object>>(document, strict: true);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException)
            {
                problems.Add($"{source}: not valid YAML: {e.Message}\n{document}");
                continue;
            }
            if (map is null) continue; // a template that rendered to nothing but comments
            var apiVersion = map.GetValueOrDefault("apiVersion") as string ?? "";
            var kind = map.GetValueOrDefault("kind") as string ?? "";
            var name = (map.GetValueOrDefault("metadata") as IDictionary<object, object>)?.ValueOrDefault("name") as string ?? "";
            var key = $"{apiVersion}/{kind}";
            if (name.Length == 0 || kind.Length == 0)
            {
                problems.Add($"{source}: a document without kind or metadata.name");
                continue;
            }
            if (Types.TryGetValue(key, out var type))
            {
                try
                {
                    var body = Deserialize.MakeGenericMethod(type).Invoke(null, [document, true])!;
                    all.Add(new Manifest(source, apiVersion, kind, name, body));
                }
                catch (TargetInvocationException e) when (e.InnerException is YamlDotNet.Core.YamlException yaml)
                {
                    problems.Add($"{source}: {kind} {name} is not a valid {type.Name}: {yaml.Message} {yaml.InnerException?.Message}");
                }
            }
            else if (CustomResources.Contains(key))
            {
                all.Add(new Manifest(source, apiVersion, kind, name, map));
            }
            else
            {
                problems.Add($"{source}: {key} is not a kind the chart is expected to render");
            }
        }
        return new Manifests(all, problems);
    }

    private static IEnumerable<string> SplitDocuments(string rendered)
    {
        var current = new List<string>();
        foreach (var line in rendered.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line == "---")
            {
                if (current.Any(l => l.Trim().Length > 0)) yield return string.Join('\n', current);
                current.Clear();
                continue;
            }
            current.Add(line);
        }
        if (current.Any(l => l.Trim().Length > 0)) yield return string.Join('\n', current);
    }
}

/// <summary>Reading custom resources, which stay maps.</summary>
internal static class Maps
{
    public static TValue? ValueOrDefault<TKey, TValue>(this IDictionary<TKey, TValue> map, TKey key) =>
        map.TryGetValue(key, out var value) ? value : default;

    public static object? At(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node switch
            {
                IDictionary<string, object> map => map.ValueOrDefault(key),
                IDictionary<object, object> map => map.ValueOrDefault(key),
                _ => null,
            };
        }
        return node;
    }

    public static string? Text(object? node, params string[] path) => At(node, path)?.ToString();
}
