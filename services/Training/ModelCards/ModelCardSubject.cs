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

    /// <summary>The data set as trained on (the label distribution is counted from it).</summary>
    public required DatasetFile Data { get; init; }

    public required TrainingSpec Spec { get; init; }

    public required TrainingResult Result { get; init; }

    /// <summary>
    /// What is known about the data set's columns. Today: each column's type and missing count as the store
    /// recorded them at upload. This is the hook for the stored data profile (<c>GetDatasetProfile</c>): fill
    /// the extra figures here and the card's "Data profile" table shows them.
    /// </summary>
    public IReadOnlyList<DataProfileColumn> DataProfile { get; init; } = [];

    /// <summary>The platform release that trained the model.</summary>
    public string PlatformVersion { get; init; } = PlatformRelease.Version;
}

/// <summary>One column of the data profile shown on the card.</summary>
/// <param name="Type">As the store names it (<c>numeric</c>, <c>categorical</c>…).</param>
/// <param name="Missing">Rows without a value.</param>
/// <param name="Distinct">Distinct values, when the profile has them.</param>
public sealed record DataProfileColumn(string Name, string Type, long Missing, long? Distinct = null);

/// <summary>The platform's release, from the assembly's informational version.</summary>
public static class PlatformRelease
{
    public static string Version { get; } =
        (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(PlatformRelease).Assembly)
            ?.InformationalVersion ?? "unknown");
}
