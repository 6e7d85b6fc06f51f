using System.Globalization;
using Platform.Sweeps.V1;
using ScottPlot;

namespace Platform.Cli.Output;

/// <summary>
/// The pictures of a sweep report, drawn with ScottPlot as the model card's are (fixed sizes and colours, so the same
/// sweep draws the same bytes): the objective of each trial with the best-so-far line, and the objective against
/// each searched hyperparameter.
/// </summary>
public static class SweepCharts
{
    private const int Width = 640;
    private const int Height = 480;

    /// <summary>Each succeeded trial's objective by trial number, and the best so far as a step line.</summary>
    public static byte[] Objective(Sweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var metric = sweep.Spec.Objective.Metric;
        var plot = NewPlot($"{metric} per trial", "Trial", metric);
        var trials = sweep.Trials.Where(t => t.HasObjective).OrderBy(t => t.Number).ToList();
        if (trials.Count > 0)
        {
            var points = plot.Add.ScatterPoints(trials.Select(t => (double)t.Number).ToArray(), trials.Select(t => t.Objective).ToArray(), Colors.SteelBlue.WithAlpha(0.7));
            points.MarkerSize = 6;
            points.LegendText = "trial";
            var maximize = sweep.Spec.Objective.Direction != Direction.Minimize;
            var best = new List<double>();
            foreach (var trial in trials)
                best.Add(best.Count == 0 ? trial.Objective : maximize ? Math.Max(best[^1], trial.Objective) : Math.Min(best[^1], trial.Objective));
            var line = plot.Add.ScatterLine(trials.Select(t => (double)t.Number).ToArray(), best.ToArray(), Colors.OrangeRed);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.LegendText = "best so far";
            plot.ShowLegend(Alignment.LowerRight);
        }
        return Png(plot);
    }

    /// <summary>The hyperparameters searched, each with how to place its values: a choice's values, or a range's scale.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string>? Choices, bool Log)> Dimensions(Sweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var result = new List<(string, IReadOnlyList<string>?, bool)>();
        foreach (var dimension in sweep.Spec.Trainers.SelectMany(t => t.Space))
        {
            if (result.Any(r => r.Item1 == dimension.Name)) continue;
            result.Add(dimension.DomainCase switch
            {
                SearchDimension.DomainOneofCase.Choice => (dimension.Name, dimension.Choice.Values.ToList(), false),
                SearchDimension.DomainOneofCase.IntRange => (dimension.Name, null, dimension.IntRange.Scale == Scale.Log),
                _ => (dimension.Name, null, dimension.FloatRange.Scale == Scale.Log),
            });
        }
        return result;
    }

    /// <summary>The objective of each succeeded trial against its value of <paramref name="name"/> (log10 on a log scale).</summary>
    public static byte[] Parameter(Sweep sweep, string name, IReadOnlyList<string>? choices, bool log)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var metric = sweep.Spec.Objective.Metric;
        var plot = NewPlot($"{metric} against {name}", log ? $"{name} (log10)" : name, metric);
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var trial in sweep.Trials.Where(t => t.HasObjective && t.Parameters.ContainsKey(name)).OrderBy(t => t.Number))
        {
            var text = trial.Parameters[name];
            double x;
            if (choices is not null)
            {
                x = choices.ToList().IndexOf(text);
                if (x < 0) continue;
            }
            else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out x) || (log && x <= 0)) continue;
            xs.Add(log ? Math.Log10(x) : x);
            ys.Add(trial.Objective);
        }
        if (xs.Count > 0)
        {
            var points = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray(), Colors.SteelBlue.WithAlpha(0.7));
            points.MarkerSize = 6;
        }
        if (choices is not null)
        {
            plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, choices.Count).Select(i => (double)i)], [.. choices]);
            plot.Axes.SetLimitsX(-0.5, choices.Count - 0.5);
        }
        return Png(plot);
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static byte[] Png(Plot plot) => plot.GetImageBytes(Width, Height, ImageFormat.Png);
}
