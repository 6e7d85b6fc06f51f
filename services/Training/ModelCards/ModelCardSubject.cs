using Platform.Training.Data;

namespace Platform.Training.ModelCards;

/// <summary>What a model card describes: a finished run with the job and data set it came from.</summary>
public sealed record ModelCardSubject
{
    public required string ModelName { get; init; }

    /// <summary>The training job and attempt; empty when the run did not come from a job.</summary>
    public string JobId { get; init; } = "";

    public int Attempt { get; init; }

    public required string DatasetId { get; init; }

    public string DatasetName { get; init; } = "";

    public required string DatasetSha256 { get; init; }

    /// <summary>The data set as trained on.</summary>
    public required DatasetFile Data { get; init; }

    public required TrainingSpec Spec { get; init; }

    public required TrainingResult Result { get; init; }

    /// <summary>
    /// The data set's profile as the model store computed it at upload (<c>GetDatasetProfile</c>), or, when that
    /// could not be read, what the data set's record says and why (<see cref="DataProfile.Unavailable"/>).
    /// </summary>
    public DataProfile DataProfile { get; init; } = DataProfile.None;

    /// <summary>The platform release that trained the model.</summary>
    public string PlatformVersion { get; init; } = PlatformRelease.Version;
}

/// <summary>
/// What the card's "Data profile" section shows about the data set: rows, and per column its type, missing values
/// and distinct values, plus the findings the store's profile warns about.
/// </summary>
public sealed record DataProfile
{
    /// <summary>Nothing known about the columns.</summary>
    public static DataProfile None { get; } = new() { Unavailable = "no profile of the data set was given to the card" };

    /// <summary>Rows in the data set, when the profile counted them.</summary>
    public long? Rows { get; init; }

    public IReadOnlyList<DataProfileColumn> Columns { get; init; } = [];

    /// <summary>
    /// The profile's warnings for the job's label (identifier-like, constant or mostly missing columns, likely leaks, an
    /// imbalanced label…), as the store words them, each with the column it is about.
    /// </summary>
    public IReadOnlyList<DataWarning> Warnings { get; init; } = [];

    /// <summary>The label's largest class over its smallest, when the profile has classes.</summary>
    public double? LabelImbalance { get; init; }

    /// <summary>
    /// Null when this is the stored profile. Otherwise why it is not (the store could not be asked, or answered an
    /// error): <see cref="Columns"/> then hold only what the data set's record says.
    /// </summary>
    public string? Unavailable { get; init; }
}

/// <summary>One finding of the stored profile.</summary>
/// <param name="Kind">What was found (<c>likely_leak</c>, <c>identifier</c>…: docs/datasets.md, "Warnings").</param>
/// <param name="Column">The column it is about; empty when it names none.</param>
/// <param name="Message">The store's sentence.</param>
public sealed record DataWarning(string Kind, string Column, string Message);

/// <summary>One column of the data profile shown on the card.</summary>
/// <param name="Type">As the store names it (<c>numeric</c>, <c>categorical</c>…).</param>
/// <param name="Missing">Rows without a value.</param>
/// <param name="MissingShare">Share of all rows without a value (0 to 1), when the profile has it.</param>
/// <param name="Distinct">Distinct non-missing values, when the profile has them.</param>
/// <param name="DistinctExact">False when <paramref name="Distinct"/> is an estimate (very many distinct values).</param>
public sealed record DataProfileColumn(
    string Name, string Type, long Missing, double? MissingShare = null, long? Distinct = null, bool DistinctExact = true);

/// <summary>The platform's release, from the assembly's informational version.</summary>
public static class PlatformRelease
{
    public static string Version { get; } =
        (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(PlatformRelease).Assembly)
            ?.InformationalVersion ?? "unknown");
}
