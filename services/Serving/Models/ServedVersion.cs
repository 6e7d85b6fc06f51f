using Microsoft.Extensions.ObjectPool;
using Platform.Serving.Scoring;
using Platform.Serving.V1;
using Platform.Training;

namespace Platform.Serving.Models;

/// <summary>Which version of which model, as a response names it.</summary>
/// <param name="Tenant">The tenant the version belongs to.</param>
/// <param name="VersionId">ModelVersion.id.</param>
public sealed record VersionIdentity(string Tenant, string ModelName, int Version, Guid VersionId)
{
    /// <inheritdoc />
    public override string ToString() => $"{ModelName}:{Version}";
}

/// <summary>
/// One model version loaded and warm: its model (<see cref="ScorableModel"/>) and a pool of scorers, each used by one
/// call at a time (ML.NET's row mappers are not thread-safe). A call rents a scorer, scores its rows and returns it; a
/// call that finds the pool empty makes one (about a millisecond), and the pool keeps up to twice the processor count
/// for later calls. A call that holds a version finishes on it even when an alias moves on or the version is evicted.
/// </summary>
internal sealed class ServedVersion
{
    private readonly DefaultObjectPool<ModelScorer> _scorers;
    private readonly Lazy<DefaultObjectPool<ModelScorer>> _explainers;
    private long _lastUsed;

    public ServedVersion(VersionIdentity identity, ScorableModel model, long sizeBytes, IReadOnlySet<string> sensitiveColumns)
    {
        Identity = identity;
        Model = model;
        SizeBytes = sizeBytes;
        SensitiveColumns = sensitiveColumns;
        var retained = Environment.ProcessorCount * 2;
        _scorers = new DefaultObjectPool<ModelScorer>(new ScorerPolicy(model, explain: false), retained);
        _explainers = new(() => new DefaultObjectPool<ModelScorer>(new ScorerPolicy(model, explain: true), retained));
        // The first scorer is made now, so the first call does not pay for it and a model that cannot score fails to load.
        _scorers.Return(_scorers.Get());
    }

    public VersionIdentity Identity { get; }

    public ScorableModel Model { get; }

    /// <summary>The size of the model artifact.</summary>
    public long SizeBytes { get; }

    /// <summary>Input columns the prediction log leaves out (<see cref="Logging.ISensitiveColumns"/>).</summary>
    public IReadOnlySet<string> SensitiveColumns { get; }

    /// <summary>When a call last used it (<see cref="TimeProvider.GetTimestamp"/>), for eviction.</summary>
    public long LastUsedTicks => Volatile.Read(ref _lastUsed);

    public void Touch(TimeProvider time) => Volatile.Write(ref _lastUsed, time.GetTimestamp());

    /// <summary>Scores every row of <paramref name="input"/> into <paramref name="response"/>, with one scorer.</summary>
    public void Predict(ModelInput input, int topContributions, PredictResponse response)
    {
        var pool = topContributions > 0 ? _explainers.Value : _scorers;
        var scorer = pool.Get();
        try
        {
            for (var row = 0; row < input.Rows; row++)
                response.Predictions.Add(scorer.Score(input, row, topContributions));
        }
        finally
        {
            pool.Return(scorer);
        }
        response.ModelName = Identity.ModelName;
        response.Version = Identity.Version;
        response.VersionId = Identity.VersionId.ToString();
        response.Task = Model.Task.ToWireName();
    }

    private sealed class ScorerPolicy(ScorableModel model, bool explain) : IPooledObjectPolicy<ModelScorer>
    {
        public ModelScorer Create() => new(model, explain);

        public bool Return(ModelScorer obj) => true;
    }
}
