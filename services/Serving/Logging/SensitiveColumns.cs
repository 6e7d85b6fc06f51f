using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Platform.Models.V1;

namespace Platform.Serving.Logging;

/// <summary>
/// Which input columns of a model version hold sensitive data (personal or secret): the prediction log leaves their
/// values out unless <c>Serving:PredictionLog:IncludeSensitiveColumns</c> is true. Asked once per version, when it loads.
/// </summary>
/// <remarks>
/// The hook for data sets that mark their own columns sensitive: an implementation that reads the marks of the version's
/// data set (<c>ModelVersion.dataset_id</c>, <c>DatasetService.GetDataset</c> at the model store, with the service
/// credential) and adds <see cref="ConfiguredSensitiveColumns"/>'s, registered in place of it in <c>AddServing</c>.
/// </remarks>
public interface ISensitiveColumns
{
    /// <summary>The sensitive input columns of <paramref name="version"/> (of tenant <paramref name="tenant"/>).</summary>
    ValueTask<IReadOnlySet<string>> ForAsync(string tenant, ModelVersion version, CancellationToken cancellationToken);
}

/// <summary>The columns named in <c>Serving:PredictionLog:SensitiveColumns</c>, for every model.</summary>
internal sealed class ConfiguredSensitiveColumns(IOptions<ServingOptions> options) : ISensitiveColumns
{
    private readonly FrozenSet<string> _columns = options.Value.PredictionLog.SensitiveColumns.ToFrozenSet(StringComparer.Ordinal);

    public ValueTask<IReadOnlySet<string>> ForAsync(string tenant, ModelVersion version, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlySet<string>>(_columns);
}
