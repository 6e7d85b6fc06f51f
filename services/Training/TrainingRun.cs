using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Platform.Training.Artifacts;
using Platform.Training.Catalogue;
using Platform.Training.Data;
using Platform.Training.Pipeline;

namespace Platform.Training;

/// <summary>
/// One training run, start to finish: read a CSV data set, drop rows without a label, split off a
/// holdout, fit the pipeline, evaluate, and write the two artifacts a model version consists of.
/// </summary>
/// <remarks>
/// <para>Artifacts, written to the output folder:</para>
/// <list type="bullet">
/// <item><c>model.zip</c>: the ML.NET model saved with its data loader, so
/// <c>mlContext.Model.LoadWithDataLoader(stream, out var loader)</c> followed by
/// <c>model.Transform(loader.Load(csvPath))</c> scores a CSV of the data set's layout.
/// Output columns: <c>PredictedLabel</c> (multiclass: the class value; binary: true for the positive
/// class), <c>Score</c>, and <c>Probability</c> for calibrated binary trainers.</item>
/// <item><c>predictions.csv</c>: the holdout rows, the data set's columns first, then
/// <c>predicted_label</c> (classification, in the label's own values) or <c>predicted_value</c>
/// (regression), then <c>probability</c> of the positive class for calibrated binary trainers.
/// Invariant culture, round-trip number format, missing values as empty fields, RFC 4180 quoting.</item>
/// </list>
/// <para>The same data, spec and seed give the same metrics and predictions on any machine.</para>
/// </remarks>
public static class TrainingRun
{
    public const string ModelFileName = "model.zip";
    public const string PredictionsFileName = "predictions.csv";

    /// <summary>
    /// Runs on a dedicated thread (training is long and CPU-bound) and completes with the result.
    /// </summary>
    /// <exception cref="SpecValidationException">The spec is invalid (trainer, hyperparameters, holdout fraction).</exception>
    /// <exception cref="TrainingDataException">The data cannot train this model; the message names the column.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TrainingResult> ExecuteAsync(
        CsvDataset data, TrainingSpec spec, string outputDirectory,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        return Task.Factory.StartNew(
            () => Execute(data, spec, outputDirectory, progress, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static TrainingResult Execute(
        CsvDataset data, TrainingSpec spec, string outputDirectory, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var settings = TrainerCatalogue.Validate(spec.Task, spec.Trainer, spec.Hyperparameters);
        TrainingSpec.ValidateHoldoutFraction(spec.HoldoutFraction);
        var labelColumn = CheckColumns(data, spec.LabelColumn);
        Directory.CreateDirectory(outputDirectory);

        var ml = new MLContext(spec.Seed);
        var trainerContext = new MLContext(spec.Seed);
        using var registration = cancellationToken.Register(() =>
        {
            CancelExecution(ml);
            CancelExecution(trainerContext);
        });
        try
        {
            return Run(ml, trainerContext, data, spec, settings, labelColumn, outputDirectory, progress, cancellationToken);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not OperationCanceledException { CancellationToken.IsCancellationRequested: true })
        {
            throw new OperationCanceledException("The training run was cancelled.", exception, cancellationToken);
        }
    }

    private static TrainingResult Run(
        MLContext ml, MLContext trainerContext, CsvDataset data, TrainingSpec spec, TrainerSettings settings, DatasetColumn labelColumn,
        string outputDirectory, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        progress?.Report(new(TrainingStage.Loading, 0, $"Reading {Path.GetFileName(data.Path)}"));
        var loader = CsvFormat.CreateLoader(ml, data.Columns);
        var raw = loader.Load(data.Path);
        var label = LabelColumn.Prepare(ml, raw, labelColumn, spec.Task, cancellationToken);
        // Every later step passes over the rows several times: parse the file once, keep the columns in memory.
        var labelled = ml.Data.Cache(label.DropMissing(raw));
        var split = ml.Data.TrainTestSplit(labelled, spec.HoldoutFraction, seed: spec.Seed);
        var rows = new TrainingRowCounts(label.Rows, label.Missing, Count(split.TrainSet, cancellationToken), Count(split.TestSet, cancellationToken));
        CheckSplit(spec, label, rows, split, cancellationToken);
        var loading = Stopwatch.GetElapsedTime(started);
        progress?.Report(new(TrainingStage.Loading, 1, Describe(rows, label)));

        started = Stopwatch.GetTimestamp();
        progress?.Report(new(TrainingStage.Training, 0, $"Training {settings.Trainer.Name} on {rows.Training} rows"));
        var model = ModelPipeline.Build(ml, trainerContext, data.Columns, label, settings, spec.Seed).Fit(split.TrainSet);
        cancellationToken.ThrowIfCancellationRequested();
        var training = Stopwatch.GetElapsedTime(started);
        progress?.Report(new(TrainingStage.Training, 1, $"Trained in {training.TotalSeconds:0.###} s"));

        started = Stopwatch.GetTimestamp();
        progress?.Report(new(TrainingStage.Evaluating, 0, $"Evaluating on {rows.Holdout} holdout rows"));
        var calibrated = spec.Task == TrainingTask.BinaryClassification && settings.Trainer.For(spec.Task).Calibrated;
        var scored = model.Transform(split.TestSet);
        var metrics = ModelEvaluation.Evaluate(ml, scored, spec.Task, label, calibrated);
        TrainingArtifact predictions;
        using (var stream = new HashingFileStream(Path.Combine(outputDirectory, PredictionsFileName)))
        {
            PredictionsCsv.Write(scored, data.Columns, spec.Task, label, calibrated, stream, cancellationToken);
            predictions = stream.Complete();
        }
        var evaluating = Stopwatch.GetElapsedTime(started);
        progress?.Report(new(TrainingStage.Evaluating, 1, string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"))));

        started = Stopwatch.GetTimestamp();
        progress?.Report(new(TrainingStage.Saving, 0, "Saving the model"));
        var modelFile = ModelZip.Save(ml, model, loader, Path.Combine(outputDirectory, ModelFileName));
        var saving = Stopwatch.GetElapsedTime(started);
        progress?.Report(new(TrainingStage.Saving, 1, $"Saved the model ({modelFile.SizeBytes} bytes)"));

        return new TrainingResult
        {
            Settings = settings,
            Metrics = metrics,
            Classes = label.Classes,
            Rows = rows,
            Timings = new TrainingTimings(loading, training, evaluating, saving),
            Model = modelFile,
            Predictions = predictions,
        };
    }

    /// <summary>
    /// ML.NET's trainers poll a cancellation flag between iterations, but the method that raises it,
    /// <c>MLContext.CancelExecution</c>, is internal. Reach it by reflection; should a later ML.NET
    /// rename it, runs still stop, only later: at the next stage boundary.
    /// </summary>
    private static void CancelExecution(MLContext ml) => CancelMethod?.Invoke(ml, null);

    private static readonly System.Reflection.MethodInfo? CancelMethod = typeof(MLContext).GetMethod(
        "CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, Type.EmptyTypes);

    /// <summary>Checks the declared columns against the file and the spec before any training starts.</summary>
    private static DatasetColumn CheckColumns(CsvDataset data, string labelColumnName)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in data.Columns)
        {
            if (!seen.Add(column.Name))
                throw new TrainingDataException(column.Name, $"Column '{column.Name}' appears more than once in the data set.");
            if (ReservedColumns.IsReserved(column.Name))
                throw new TrainingDataException(column.Name, $"Column name '{column.Name}' is reserved for the training pipeline; rename the column.");
        }
        var label = data.Columns.FirstOrDefault(column => column.Name == labelColumnName)
            ?? throw new TrainingDataException(labelColumnName,
                $"Label column '{labelColumnName}' is not in the data set; its columns are {string.Join(", ", data.Columns.Select(c => $"'{c.Name}'"))}.");
        if (data.Columns.Count < 2)
            throw new TrainingDataException(labelColumnName, $"The data set has no columns besides the label '{labelColumnName}' to learn from.");

        var header = CsvFormat.ReadHeader(data.Path);
        if (!header.SequenceEqual(data.Columns.Select(column => column.Name), StringComparer.Ordinal))
            throw new TrainingDataException(null,
                $"The file's header ({string.Join(", ", header.Select(h => $"'{h}'"))}) does not match the data set's columns ({string.Join(", ", data.Columns.Select(c => $"'{c.Name}'"))}).");
        return label;
    }

    private static void CheckSplit(TrainingSpec spec, LabelColumn label, TrainingRowCounts rows, DataOperationsCatalog.TrainTestData split, CancellationToken cancellationToken)
    {
        var labelled = rows.Total - rows.MissingLabel;
        if (rows.Training == 0 || rows.Holdout == 0)
            throw new TrainingDataException(label.Source.Name,
                $"The {labelled} rows with a value in '{label.Source.Name}' are too few to hold out {spec.HoldoutFraction:0.##} of them and train on the rest.");
        if (spec.Task == TrainingTask.Regression)
            return;
        var trainingClasses = label.ClassesIn(split.TrainSet, cancellationToken);
        if (trainingClasses.Count < 2)
            throw new TrainingDataException(label.Source.Name,
                $"The training rows hold a single class of '{label.Source.Name}' ('{trainingClasses.First()}'); use more data or another seed.");
        // AUC needs both classes among the rows it is computed on.
        if (spec.Task == TrainingTask.BinaryClassification && label.ClassesIn(split.TestSet, cancellationToken) is { Count: < 2 } holdoutClasses)
            throw new TrainingDataException(label.Source.Name,
                $"The holdout rows hold a single class of '{label.Source.Name}' ('{holdoutClasses.First()}'); use more data or a larger holdout fraction.");
    }

    private static long Count(IDataView view, CancellationToken cancellationToken)
    {
        long count = 0;
        using var cursor = view.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            if ((++count & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
        }
        return count;
    }

    private static string Describe(TrainingRowCounts rows, LabelColumn label) =>
        $"{rows.Total} rows" +
        (rows.MissingLabel > 0 ? $", {rows.MissingLabel} without a value in '{label.Source.Name}' dropped" : "") +
        $"; {rows.Training} for training, {rows.Holdout} held out";
}
