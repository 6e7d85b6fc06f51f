using System.Globalization;

namespace Platform.Serving.Monitoring;

/// <summary>How much a distribution has moved, by its PSI against <see cref="MonitoringOptions"/>' thresholds.</summary>
public enum DriftLevel
{
    /// <summary>Too few rows in the window to judge (<c>MinRows</c>).</summary>
    Unknown,
    /// <summary>PSI below <c>PsiModerate</c>.</summary>
    Stable,
    /// <summary>PSI from <c>PsiModerate</c> to below <c>PsiSignificant</c>: worth a look.</summary>
    Moderate,
    /// <summary>PSI at or above <c>PsiSignificant</c>: the served data no longer looks like the training data.</summary>
    Significant,
}

/// <summary>
/// <c>Serving:Monitoring</c>: drift thresholds, windows and the background drift check (docs/monitoring.md,
/// "Configuration"). The PSI defaults are the industry's conventions (credit scoring, where PSI comes from): below 0.1
/// no real change, 0.1 to 0.25 a moderate one, 0.25 and above a significant one.
/// </summary>
public sealed class MonitoringOptions
{
    /// <summary>The configuration section, under <see cref="ServingOptions.Section"/>.</summary>
    public const string Section = "Serving:Monitoring";

    /// <summary>PSI from which a column's drift is moderate.</summary>
    public double PsiModerate { get; set; } = 0.1;

    /// <summary>PSI from which a column's drift is significant; a significant drift raises <c>ModelDriftDetected</c>.</summary>
    public double PsiSignificant { get; set; } = 0.25;

    /// <summary>Fewer served rows than this in a window are not judged (PSI of a handful of rows is noise).</summary>
    public int MinRows { get; set; } = 100;

    /// <summary>The window a monitoring answer and the background check use when none is asked for, in minutes.</summary>
    public int WindowMinutes { get; set; } = 60;

    /// <summary>Most logged rows read per window (the newest); a busier window is measured on a sample of its latest rows.</summary>
    public int MaxRowsPerWindow { get; set; } = 50_000;

    /// <summary>How often every loaded version's latest window is checked for drift, in seconds; 0 turns the check off.</summary>
    public int CheckIntervalSeconds { get; set; } = 300;

    /// <summary>The level of a PSI value.</summary>
    public DriftLevel LevelOf(double psi, long rows) =>
        rows < MinRows || double.IsNaN(psi) ? DriftLevel.Unknown
        : psi >= PsiSignificant ? DriftLevel.Significant
        : psi >= PsiModerate ? DriftLevel.Moderate
        : DriftLevel.Stable;

    internal void Validate()
    {
        if (!(PsiModerate > 0) || !(PsiSignificant >= PsiModerate))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Section}:PsiModerate must be above 0 and PsiSignificant at least PsiModerate (got {PsiModerate} and {PsiSignificant})."));
        if (MinRows < 1 || WindowMinutes < 1 || MaxRowsPerWindow < 1)
            throw new InvalidOperationException($"{Section}:MinRows, WindowMinutes and MaxRowsPerWindow must be at least 1.");
        if (CheckIntervalSeconds < 0) throw new InvalidOperationException($"{Section}:CheckIntervalSeconds must not be negative.");
    }
}
