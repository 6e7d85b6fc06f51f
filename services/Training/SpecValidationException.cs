namespace Platform.Training;

/// <summary>
/// A training specification is invalid: an unknown task or trainer, or a hyperparameter of an unknown
/// name, the wrong type or out of range. <see cref="Field"/> names the offending field the way the
/// public API spells it (<c>task</c>, <c>trainer</c>, <c>hyperparameters.learning_rate</c>,
/// <c>holdout_fraction</c>), so a service can turn this into an InvalidArgument status unchanged.
/// The job can never succeed as submitted: callers treat it as permanent.
/// </summary>
public sealed class SpecValidationException : Exception
{
    public SpecValidationException(string field, string reason)
        : base(Platform.Contracts.Echo.Message($"{field}: {reason}"))
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>The field at fault, for example <c>hyperparameters.learning_rate</c>.</summary>
    public string Field { get; }

    /// <summary>What is wrong with it, without the field name.</summary>
    public string Reason { get; }
}
