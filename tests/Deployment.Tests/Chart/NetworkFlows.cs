using k8s.Models;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// Evaluates the rendered NetworkPolicies as a network plugin enforces them, for TCP connections between the release's
/// pods and to or from outside: a connection passes when the source's egress policies (if any select it) and the
/// destination's ingress policies (if any select it) both have a rule matching the peer and the port.
/// </summary>
internal sealed class NetworkFlows(Manifests manifests)
{
    private readonly List<V1NetworkPolicy> _policies = manifests.Of<V1NetworkPolicy>().Select(p => p.Body).ToList();

    /// <summary>The pod labels of each component of the release.</summary>
    public IReadOnlyDictionary<string, IDictionary<string, string>> Components { get; } = ChartRules.PodTemplates(manifests)
        .GroupBy(t => t.Template.Metadata.Labels["app.kubernetes.io/component"])
        .ToDictionary(g => g.Key, g => g.First().Template.Metadata.Labels);

    /// <summary>
    /// Whether a pod of <paramref name="from"/> reaches a pod of <paramref name="to"/> on <paramref name="port"/>. null is
    /// outside the release: a pod of the namespace <paramref name="outsideNamespace"/>, or (null) an address outside the cluster.
    /// </summary>
    public bool Allowed(string? from, string? to, int port, string? outsideNamespace = null)
    {
        var source = from is null ? null : Components[from];
        var destination = to is null ? null : Components[to];
        return (source is null || Passes(source, destination, outsideNamespace, port, egress: true))
            && (destination is null || Passes(destination, source, outsideNamespace, port, egress: false));
    }

    private bool Passes(IDictionary<string, string> pod, IDictionary<string, string>? peer, string? peerNamespace, int port, bool egress)
    {
        var type = egress ? "Egress" : "Ingress";
        var selecting = _policies.Where(p => p.Spec.PolicyTypes.Contains(type) && Matches(p.Spec.PodSelector, pod)).ToList();
        if (selecting.Count == 0) return true; // not isolated in this direction
        return selecting.Any(p => egress
            ? (p.Spec.Egress ?? []).Any(r => PortMatches(r.Ports, port) && PeerMatches(r.To, peer, peerNamespace))
            : (p.Spec.Ingress ?? []).Any(r => PortMatches(r.Ports, port) && PeerMatches(r.FromProperty, peer, peerNamespace)));
    }

    private static bool PortMatches(IList<V1NetworkPolicyPort>? ports, int port) =>
        ports is null || ports.Count == 0 || ports.Any(p => (p.Protocol ?? "TCP") == "TCP" && p.Port?.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// No peers: everyone. A pod selector alone matches the release's pods (same namespace); a namespace selector matches
    /// pods of that namespace; an ipBlock matches addresses outside the cluster.
    /// </summary>
    private static bool PeerMatches(IList<V1NetworkPolicyPeer>? peers, IDictionary<string, string>? peer, string? peerNamespace) =>
        peers is null || peers.Count == 0 || peers.Any(p =>
            peer is not null ? p.NamespaceSelector is null && p.IpBlock is null && p.PodSelector is not null && Matches(p.PodSelector, peer)
            : peerNamespace is not null ? p.NamespaceSelector is not null && Matches(p.NamespaceSelector, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = peerNamespace })
            : p.IpBlock is not null);

    private static bool Matches(V1LabelSelector selector, IDictionary<string, string> labels) =>
        (selector.MatchLabels ?? new Dictionary<string, string>()).All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value)
        && (selector.MatchExpressions ?? []).Count == 0;
}
