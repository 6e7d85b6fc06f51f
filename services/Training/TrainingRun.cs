using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Artifacts;
using Platform.Training.Catalogue;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.ModelCards;
using Platform.Training.Pipeline;
using Platform.Training.Preparation;
using Platform.Contracts;

namespace Platform.Training;

/// <summary>
/// One training run, start to finish: read a data set (CSV, TSV or Parquet, see <see cref="DatasetReader"/>), drop the rows without a label (and those missing a
/// drop_row column), split them (a holdout, or k folds), fit the preparation and the model on the training
/// rows, evaluate on the others, and write the three artifacts a model version consists of.
/// </summary>
/// <remarks>
/// <para>Artifacts, written to the output folder:</para>
/// <list type="bullet">
/// <item><c>model.zip</c>: the ML.NET model saved with its data loader, so
/// <c>mlContext.Model.LoadWithDataLoader(stream, out var loader)</c> followed by
/// <c>model.Transform(loader.Load(csvPath))</c> scores a CSV of the data set's layout (a TSV for a TSV data set;
/// a CSV for a Parquet data set, or in the platform <c>model.Transform(ParquetDataView.Open(file))</c>), applying the same
/// preparation as training. Output columns: <c>PredictedLabel</c> (multiclass: the class value; binary: true
/// for the positive class; clustering: the cluster, a key from 1 to k), <c>Score</c>, and <c>Probability</c>
/// for calibrated binary trainers. For a holdout it is the model that was evaluated; for a cross-validation
/// it is fitted afterwards on every row.</item>
/// <item><c>predictions.csv</c>: the evaluated rows with their predictions (see <see cref="PredictionsCsv"/>).</item>
/// <item><c>evaluation.json</c>: the spec, the fitted preparation and the evaluation in full (see <see cref="EvaluationJson"/>).</item>
/// </list>
/// <para>The same data, spec and seed give the same metrics, predictions and model bytes on any machine.</para>
/// </remarks>
public static class TrainingRun
{
    public const string ModelFileName = "model.zip";
    public const string PredictionsFileName = "predictions.csv";
    public const string EvaluationFileName = "evaluation.json";
    /// <summary>What a fold run alone writes: its evaluated rows with the model's outputs (<see cref="ScoredRows.Save"/>).</summary>
    public const string ScoredRowsFileName = "scored-rows.bin";

    /// <summary>
    /// Runs on a dedicated thread (training is long and CPU-bound) and completes with the result.
    /// </summary>
    /// <exception cref="SpecValidationException">The spec is invalid (trainer, hyperparameters, label, preparation, evaluation).</exception>
    /// <exception cref="TrainingDataException">The data cannot train this model; the message names the column.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TrainingResult> ExecuteAsync(
        DatasetFile data, TrainingSpec spec, string outputDirectory,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(data, spec, outputDirectory, progress, run => run.Execute(foldInputs: null), cancellationToken);

    /// <summary>
    /// The end of a cross-validation whose folds ran on their own (<see cref="ExecuteFoldAsync"/>, <see cref="EvaluationSpec.ParallelFolds"/>):
    /// reads and splits the data as the serial run does, fits the model on every row, and reports the folds from
    /// <paramref name="folds"/>. The result (metrics, evaluation, predictions, model bytes, evaluation.json) is the serial
    /// run's. A fold without its scored rows (<see cref="FoldInput.ScoredRowsFile"/> null, or a file that does not hold
    /// the fold's rows) is fitted and scored here instead, which changes the time taken, not the result.
    /// </summary>
    /// <param name="folds">Every fold's outcome, in fold order (1 to k).</param>
    /// <exception cref="ArgumentException"><paramref name="folds"/> does not hold folds 1 to k of the spec's cross-validation.</exception>
    public static Task<TrainingResult> ExecuteAsync(
        DatasetFile data, TrainingSpec spec, IReadOnlyList<FoldInput> folds, string outputDirectory,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(folds);
        if (!spec.Evaluation.CrossValidates || folds.Count != spec.Evaluation.Folds || folds.Where((f, i) => f.Outcome.Fold != i + 1).Any())
            throw new ArgumentException($"Expected the outcomes of folds 1 to {spec.Evaluation.Folds}, in order; got [{string.Join(", ", folds.Select(f => f.Outcome.Fold))}].", nameof(folds));
        return Start(data, spec, outputDirectory, progress, run => run.Execute(folds), cancellationToken);
    }

    /// <summary>
    /// One fold of the spec's cross-validation, alone (<see cref="EvaluationSpec.ParallelFolds"/>): reads and splits the data
    /// as the serial run does, fits the fold's model (its trainer gets the random source it gets in the serial run), scores
    /// the fold's rows, and measures what the serial run measures of the fold. Writes the scored rows to
    /// <paramref name="outputDirectory"/> (<see cref="FoldRunResult.ScoredRows"/>); no model, predictions or evaluation files.
    /// A data error is the one the serial run reports, for this fold.
    /// </summary>
    /// <param name="fold">1 to k.</param>
    public static Task<FoldRunResult> ExecuteFoldAsync(
        DatasetFile data, TrainingSpec spec, int fold, string outputDirectory,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!spec.Evaluation.CrossValidates || fold < 1 || fold > spec.Evaluation.Folds)
            throw new ArgumentOutOfRangeException(nameof(fold), fold, $"A fold from 1 to {spec.Evaluation.Folds} of a cross-validation.");
        return Start(data, spec, outputDirectory, progress, run => run.ExecuteFold(fold), cancellationToken);
    }

    private static Task<T> Start<T>(
        DatasetFile data, TrainingSpec spec, string outputDirectory, IProgress<TrainingProgress>? progress, Func<Run, T> execute,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        return Task.Factory.StartNew(
            () => Execute(data, spec, outputDirectory, progress, execute, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static T Execute<T>(
        DatasetFile data, TrainingSpec spec, string outputDirectory, IProgress<TrainingProgress>? progress, Func<Run, T> execute,
        CancellationToken cancellationToken)
    {
        CheckColumns(data);
        var plan = spec.Validate(data.Columns);
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
            return execute(new Run(ml, trainerContext, data, spec, plan, outputDirectory, progress, cancellationToken));
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not OperationCanceledException { CancellationToken.IsCancellationRequested: true })
        {
            throw new OperationCanceledException("The training run was cancelled.", exception, cancellationToken);
        }
        catch (Exception exception) when (exception is not TrainingDataException && DataError(exception) is { } dataError)
        {
            // A reader's error raised while ML.NET fills its cache arrives wrapped: report the data's problem itself.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(dataError);
            throw;
        }
    }

    /// <summary>One model fitted on some rows and evaluated on the others: the holdout, or one fold.</summary>
    /// <param name="Usable">The rows the round was cut from; <paramref name="Selected"/> says which of them it evaluates.</param>
    /// <param name="Preparation">The round's preparation; null for a fold that ran on its own.</param>
    /// <param name="Model">The round's model; null for a fold that ran on its own, whose scored rows are <paramref name="ScoredElsewhere"/>.</param>
    /// <param name="ScoredElsewhere">A fold that ran on its own: its scored rows, read back.</param>
    private sealed record Round(
        IDataView Usable, bool[] Selected, long TrainingRows, long EvaluatedRows, FittedPreparation? Preparation, ITransformer? Model,
        ScoredRows? ScoredElsewhere = null)
    {
        public IDataView Evaluated { get; } = new RowSubset(Usable, Selected);
    }

    /// <summary>A round's evaluated rows scored once (the prediction columns kept in memory) and their metrics.</summary>
    private sealed record ScoredRound(IDataView Scored, FoldScore Score);

    /// <summary>The rows as loaded and split.</summary>
    /// <param name="Usable">The rows that take part: with a label and a value in every drop_row column; the columns the model reads are cached.</param>
    /// <param name="Streamed">The same rows as <paramref name="Usable"/>, read from the file again on each pass (nothing cached): the columns the model does not read, for the predictions file.</param>
    /// <param name="ClassOfRow">The class index of each usable row, where the label has classes.</param>
    /// <param name="Folds">Cross-validation: the fold of each usable row.</param>
    /// <param name="HeldOut">Holdout: whether each usable row is held out.</param>
    private sealed record SplitRows(
        TextLoader Loader, long Total, long Labelled, IDataView Usable, IDataView Streamed, int Rows, int[]? ClassOfRow, int[]? Folds, bool[]? HeldOut);

    private sealed class Run(
        MLContext ml, MLContext trainerContext, DatasetFile data, TrainingSpec spec, TrainingPlan plan,
        string outputDirectory, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        private readonly TrainerSettings _settings = plan.Settings;
        private readonly EvaluationSpec _evaluation = spec.Evaluation;
        private readonly List<StepTiming> _steps = [];
        // The first failure of work running alongside the run's thread: the cause to report (see ThrowCause).
        private Exception? _firstFailure;
        private LabelColumn? _label;
        // The class weights of the model that is saved (null without class weighting).
        private double[]? _savedClassWeights;
        // A cross-validation whose folds ran on their own: their outcomes, in fold order; null for a run that fits every fold.
        private IReadOnlyList<FoldInput>? _foldInputs;

        private bool Calibrated => spec.Task == TrainingTask.BinaryClassification && _settings.Trainer.For(spec.Task).Calibrated;

        /// <summary>The whole run; with <paramref name="foldInputs"/>, the folds' models and scores come from the folds' own runs.</summary>
        public TrainingResult Execute(IReadOnlyList<FoldInput>? foldInputs)
        {
            _foldInputs = foldInputs;
            var started = Stopwatch.GetTimestamp();
            progress?.Report(new(TrainingStage.Loading, 0, $"Reading {Path.GetFileName(data.Path)}"));
            var split = LoadAndSplit();
            var loading = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Loading, 1, Describe(split)));

            started = Stopwatch.GetTimestamp();
            var (rounds, finalPreparation, finalModel) = Step(TrainingSteps.Fit, () => Train(split));
            var training = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Training, 1, $"Trained in {training.TotalSeconds:0.###} s"));

            started = Stopwatch.GetTimestamp();
            // From here on, work that needs only the fitted model or the scored rows runs on the other core while this
            // thread scores (ML.NET scores with one cursor, on one thread): the first failure among them stops the others.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // The model to save needs nothing from the evaluation: written through a context of its own (an MLContext is
            // not meant for two threads at once; the bytes do not depend on it).
            var savingModel = Alongside(stop, () => Step(TrainingSteps.ModelZip, () =>
                ModelZip.Save(new MLContext(spec.Seed), finalModel, split.Loader, Path.Combine(outputDirectory, ModelFileName))));
            var counts = Counts(split, rounds);
            TrainingArtifact predictions, modelFile, evaluationFile;
            EvaluationReport report;
            EvaluatedRows? cardRows;
            TimeSpan evaluating, saving;
            try
            {
                progress?.Report(new(TrainingStage.Evaluating, 0, $"Evaluating on {rounds.Sum(r => r.EvaluatedRows)} rows"));
                List<ScoredRound> scored;
                (scored, predictions, cardRows) = Evaluate(split, rounds, stop);
                report = Report(rounds, scored);
                evaluating = Stopwatch.GetElapsedTime(started);
                progress?.Report(new(TrainingStage.Evaluating, 1,
                    string.Join(", ", report.Metrics.Select(m => $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"))));

                started = Stopwatch.GetTimestamp();
                progress?.Report(new(TrainingStage.Saving, 0, "Saving the model"));
                evaluationFile = Step(TrainingSteps.EvaluationJson, () =>
                {
                    using var stream = new HashingFileStream(Path.Combine(outputDirectory, EvaluationFileName));
                    EvaluationJson.Write(stream, spec, plan, counts, report, finalPreparation.Steps);
                    return stream.Complete();
                });
                modelFile = savingModel.GetAwaiter().GetResult();
                saving = Stopwatch.GetElapsedTime(started);
            }
            catch (Exception exception)
            {
                // Nothing keeps writing to the output folder once the run has ended.
                stop.Cancel();
                WaitQuietly(savingModel);
                ThrowCause(exception, savingModel);
                throw;
            }
            progress?.Report(new(TrainingStage.Saving, 1, $"Saved the model ({modelFile.SizeBytes} bytes)"));

            var inputSchema = split.Loader.GetOutputSchema();
            var outputSchema = finalModel.GetOutputSchema(inputSchema);
            return new TrainingResult
            {
                Settings = _settings,
                Metrics = report.FlatMetrics(),
                Evaluation = report,
                Preparation = _savedClassWeights is { } weights
                    ? [.. finalPreparation.Steps, new PreparationStep(PreparationStep.ClassWeights, [_label!.Source.Name],
                        new SortedDictionary<string, string>(_label.Classes.Select((c, i) => (c, weights[i]))
                            .ToDictionary(p => $"weight[{p.c}]", p => p.Item2.ToString("R", CultureInfo.InvariantCulture)), StringComparer.Ordinal)
                        { ["weighting"] = (spec.Preparation.ClassWeighting ?? ClassWeighting.None).ToWireName() })]
                    : finalPreparation.Steps,
                Classes = spec.Task.IsClassification() ? _label!.Classes : [],
                Rows = counts,
                Timings = new TrainingTimings(loading, training, evaluating, saving, [.. _steps]),
                InputSchema = [.. inputSchema.Select(c => new ModelColumn(c.Name, c.Type.ToString() ?? ""))],
                // What the model adds: its predictions, and the parts it takes from date columns.
                OutputSchema = [.. new[] { DefaultColumnNames.PredictedLabel, DefaultColumnNames.Score, DefaultColumnNames.Probability }
                    .Concat(finalPreparation.DatePartColumns)
                    .Where(name => outputSchema.GetColumnOrNull(name) is not null)
                    .Select(name => new ModelColumn(name, outputSchema[name].Type.ToString() ?? ""))],
                Model = modelFile,
                Predictions = predictions,
                EvaluationFile = evaluationFile,
                LabelValues = _label?.Values,
                EvaluatedRows = cardRows,
            };
        }

        /// <summary>One fold alone: the serial run's split, the fold's model and what the serial run measures of the fold.</summary>
        public FoldRunResult ExecuteFold(int fold)
        {
            var started = Stopwatch.GetTimestamp();
            progress?.Report(new(TrainingStage.Loading, 0, $"Reading {Path.GetFileName(data.Path)}"));
            var split = LoadAndSplit();
            var loading = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Loading, 1, Describe(split)));

            started = Stopwatch.GetTimestamp();
            progress?.Report(new(TrainingStage.Training, 0, $"Training {_settings.Trainer.Name} on fold {fold} of {_evaluation.Folds}"));
            bool[] Evaluates(int index) => [.. split.Folds!.Select(f => f == index)];
            var round = Step(TrainingSteps.Fit, () =>
            {
                // The trainer context as the serial run has it when it reaches this fold.
                for (var before = 0; before < fold - 1; before++) SkipRound(split, Evaluates(before));
                return Fit(split.Usable, split.ClassOfRow, Evaluates(fold - 1), fold);
            });
            var training = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Training, 1, $"Trained in {training.TotalSeconds:0.###} s"));

            started = Stopwatch.GetTimestamp();
            progress?.Report(new(TrainingStage.Evaluating, 0, $"Evaluating on {round.EvaluatedRows} rows"));
            var scored = Prepare(round);
            var score = Step(TrainingSteps.Evaluate, () =>
            {
                scored.Fill(cancellationToken);
                return Score(scored);
            });
            var importanceMetric = _evaluation.FeatureImportance ? PermutationImportance.MetricFor(spec.Task) : null;
            var drops = importanceMetric is null ? [] : Step(TrainingSteps.FeatureImportance, () =>
                Importance(round, score, importanceMetric, [.. plan.Preparation.Features.Select(f => f.Column)]));
            var evaluating = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Evaluating, 1,
                string.Join(", ", score.Metrics.Select(m => $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"))));

            started = Stopwatch.GetTimestamp();
            progress?.Report(new(TrainingStage.Saving, 0, "Saving the fold's scored rows"));
            var file = Step(TrainingSteps.ScoredRows, () =>
            {
                using var stream = new HashingFileStream(Path.Combine(outputDirectory, ScoredRowsFileName));
                // The features of a clustering's rows were for its evaluator, done above; the final run reads the rest.
                scored.Save(stream, new HashSet<string>(StringComparer.Ordinal) { ReservedColumns.Features });
                return stream.Complete();
            });
            var saving = Stopwatch.GetElapsedTime(started);
            progress?.Report(new(TrainingStage.Saving, 1, $"Saved the fold's scored rows ({file.SizeBytes} bytes)"));

            var outcome = new FoldOutcome
            {
                Fold = fold,
                TrainingRows = round.TrainingRows,
                EvaluatedRows = round.EvaluatedRows,
                Metrics = score.Metrics,
                ConfusionCounts = score.Confusion is { } confusion ? [.. confusion] : [],
                ImportanceDrops = drops.ToDictionary(d => d.Key, d => (IReadOnlyList<double>)d.Value, StringComparer.Ordinal),
            };
            return new FoldRunResult(outcome, file, _settings, new TrainingTimings(loading, training, evaluating, saving, [.. _steps]));
        }

        /// <summary>Runs one step of the run and records how long it took (steps may overlap: the model zip is written alongside the predictions).</summary>
        private T Step<T>(string name, Func<T> step)
        {
            var started = Stopwatch.GetTimestamp();
            var result = step();
            lock (_steps) _steps.Add(new StepTiming(name, Stopwatch.GetElapsedTime(started)));
            return result;
        }

        /// <summary>
        /// Scores each round's evaluated rows once, on this thread, and computes its metrics; meanwhile, on other threads,
        /// predictions.csv is written and the model card's rows are taken from the rows already scored (<see cref="ScoredRows"/>).
        /// A failure of either stops the scoring and is what the run reports; a failure of the scoring stops them.
        /// </summary>
        private (List<ScoredRound> Scored, TrainingArtifact Predictions, EvaluatedRows? CardRows) Evaluate(
            SplitRows split, List<Round> rounds, CancellationTokenSource stop)
        {
            var views = rounds.Select(round => round.ScoredElsewhere ?? Prepare(round)).ToArray();
            var predictions = Alongside(stop, () => Step(TrainingSteps.Predictions, () => WritePredictions(split, views, stop.Token)));
            var cardRows = Alongside(stop, () => Step(TrainingSteps.CardRows, () =>
                EvaluatedRows.Capture(views, split.Folds, spec.Task, _label, Calibrated, stop.Token)));
            try
            {
                var scored = Step(TrainingSteps.Evaluate, () => rounds.Select((round, i) =>
                {
                    if (round.ScoredElsewhere is null) views[i].Fill(stop.Token);
                    // Folds that ran on their own measured themselves, exactly as below: their figures are taken as reported.
                    return new ScoredRound(views[i], _foldInputs is { } inputs ? Score(inputs[i].Outcome) : Score(views[i]));
                }).ToList());
                return (scored, predictions.GetAwaiter().GetResult(), cardRows.GetAwaiter().GetResult());
            }
            catch (Exception exception)
            {
                foreach (var view in views) view.Fail(exception);
                stop.Cancel();
                WaitQuietly(predictions, cardRows);
                ThrowCause(exception, predictions, cardRows);
                throw;
            }
        }

        /// <summary>
        /// The run's own cancellation is reported as such; a stop caused by work running alongside (<paramref name="alongside"/>)
        /// is reported as that work's failure, its reason intact. Otherwise returns, and the caller rethrows <paramref name="exception"/>.
        /// </summary>
        private void ThrowCause(Exception exception, params Task[] alongside)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (exception is OperationCanceledException cancelled && cancelled.CancellationToken == cancellationToken) return;
                throw new OperationCanceledException("The training run was cancelled.", exception, cancellationToken);
            }
            // The first work to fail is the cause: the others then fail because of the stop ("the rows could not be scored:
            // the operation was canceled"), which says nothing about why.
            if (exception is OperationCanceledException && alongside.Any(t => t.IsFaulted) && Volatile.Read(ref _firstFailure) is { } cause)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
        }

        /// <summary>
        /// Runs <paramref name="work"/> on a thread of its own; should it fail, <paramref name="stop"/> stops the rest of the
        /// run's work, and if it failed first its exception is the one <see cref="ThrowCause"/> reports.
        /// </summary>
        private Task<T> Alongside<T>(CancellationTokenSource stop, Func<T> work) =>
            Task.Factory.StartNew(() =>
            {
                try
                {
                    return work();
                }
                catch (Exception exception)
                {
                    Interlocked.CompareExchange(ref _firstFailure, exception, null);
                    stop.Cancel();
                    throw;
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        /// <summary>Waits for work running alongside to end, whatever its outcome (the caller reports the failure that matters).</summary>
        private static void WaitQuietly(params Task[] tasks)
        {
            try
            {
                Task.WaitAll(tasks);
            }
            catch (AggregateException)
            {
                // Observed here; the cause is reported by the caller.
            }
        }

        private TrainingRowCounts Counts(SplitRows split, List<Round> rounds) =>
            new(split.Total, split.Total - split.Labelled, split.Labelled - split.Rows,
                split.Folds is null ? rounds[0].TrainingRows : split.Rows, rounds.Sum(r => r.EvaluatedRows));

        private SplitRows LoadAndSplit()
        {
            var (raw, loader) = DatasetReader.Open(ml, data);
            IDataView labelled, unlabelledDropped;
            long total, labelledRows;
            // Every column used is parsed by the one pass below: a text in a numeric column is the cause to report,
            // before whatever it made look wrong (a missing label or feature).
            using (var unparsable = UnparsableNumbers.Watch(ml, data))
            {
                try
                {
                    // Every later step passes over the rows several times: parse the file once and keep in memory the
                    // columns the model reads, all filled by the label's pass. The others (identifiers, dates) are read
                    // again from the file when the predictions are written, and never held for every row.
                    var cached = ml.Data.Cache(raw, [.. ModelColumns()]);
                    // The label's pass also counts, among the rows with a label, those with a value in each feature.
                    var features = plan.Preparation.Features.Select(f => f.Column).ToArray();
                    var presence = new FeaturePresence(features);
                    var hasLabel = new List<bool>();
                    _label = plan.Label is { } labelColumn
                        ? Step(TrainingSteps.CacheRows, () => LabelColumn.Prepare(ml, cached, labelColumn, spec.Task, cancellationToken,
                            [.. features.Select(f => f.Name)], cursor =>
                            {
                                var observe = presence.Observe(cursor);
                                return labelled =>
                                {
                                    hasLabel.Add(labelled);
                                    observe(labelled);
                                };
                            }))
                        : null;
                    // The rows with a label, picked by position (the pass above noted them), not by a filter that reads
                    // the label again on every later pass: a filter between the cache and the model cost the flights-3m
                    // evaluation 1.9 s of its 7 (docs/benchmarks.md). Where no label is missing, the rows are all of them.
                    (labelled, unlabelledDropped) = _label is { Missing: > 0 }
                        ? (new RowSubset(cached, [.. hasLabel]), new RowSubset(raw, [.. hasLabel]))
                        : (cached, raw);
                    (total, labelledRows) = Step(TrainingSteps.CheckFeatures, () =>
                    {
                        if (_label is null) presence.Count(labelled, cancellationToken);
                        var rows = _label?.Rows ?? presence.Rows;
                        var withLabel = rows - (_label?.Missing ?? 0);
                        CheckFeaturesPresent(presence, withLabel);
                        return (rows, withLabel);
                    });
                }
                catch (TrainingDataException)
                {
                    unparsable.ThrowIfFound();
                    throw;
                }
                unparsable.ThrowIfFound();
            }

            return Step(TrainingSteps.Split, () =>
            {
                var dropRow = plan.Preparation.DropRowColumns.ToArray();
                var usable = dropRow.Length > 0 ? MissingRows.Drop(ml, labelled, dropRow) : labelled;
                var streamed = dropRow.Length > 0 ? MissingRows.Drop(ml, unlabelledDropped, dropRow) : unlabelledDropped;
                var rows = checked((int)(dropRow.Length > 0 ? Count(usable) : labelledRows));
                if (rows == 0)
                    throw new TrainingDataException(dropRow[0].Name,
                        $"Every row misses a value in a drop_row column ({string.Join(", ", dropRow.Select(c => $"{Echo.Quote(c.Name)}"))}): nothing is left to train on.");
                var classOfRow = _label is not null && spec.Task != TrainingTask.Regression ? _label.ClassIndexes(usable, cancellationToken) : null;
                var strata = plan.Stratified ? classOfRow : null;
                var folds = _evaluation.CrossValidates ? DataSplit.Folds(rows, strata, _evaluation.Folds, spec.Seed) : null;
                var heldOut = folds is null ? DataSplit.Holdout(rows, strata, spec.HoldoutFraction, spec.Seed) : null;
                return new SplitRows(loader, total, labelledRows, usable, streamed, rows, classOfRow, folds, heldOut);
            });
        }

        /// <summary>The columns the model and the split read: the label, the features and the drop_row columns.</summary>
        private IEnumerable<string> ModelColumns() =>
            new[] { plan.Label?.Name }.OfType<string>()
                .Concat(plan.Preparation.Features.Select(f => f.Column.Name))
                .Concat(plan.Preparation.DropRowColumns.Select(c => c.Name))
                .Distinct(StringComparer.Ordinal);

        /// <summary>Fits one model per round (the holdout, or each fold), then the model to save.</summary>
        private (List<Round> Rounds, FittedPreparation Preparation, ITransformer Model) Train(SplitRows split)
        {
            var rounds = new List<Round>();
            if (split.Folds is not { } folds)
            {
                progress?.Report(new(TrainingStage.Training, 0, $"Training {_settings.Trainer.Name} on {split.HeldOut!.Count(h => !h)} rows"));
                rounds.Add(Fit(split.Usable, split.ClassOfRow, split.HeldOut!, foldNumber: null));
                // A holdout saves the model it evaluated.
                return (rounds, rounds[0].Preparation!, rounds[0].Model!);
            }

            var k = _evaluation.Folds;
            progress?.Report(new(TrainingStage.Training, 0, _foldInputs is null
                ? $"Training {_settings.Trainer.Name} on {k} folds of {split.Rows} rows, then on all of them"
                : $"Training {_settings.Trainer.Name} on all {split.Rows} rows (the {k} folds ran as jobs of their own)"));
            for (var fold = 0; fold < k; fold++)
            {
                var evaluate = folds.Select(f => f == fold).ToArray();
                CheckOutcomeRows(fold, evaluate);
                if (ScoredElsewhere(fold, evaluate) is { } scored)
                {
                    // Fitted and scored by the fold's own run: only its trainer's draw from the trainer context is made here.
                    SkipRound(split, evaluate);
                    var evaluated = scored.GetRowCount()!.Value;
                    rounds.Add(new Round(split.Usable, evaluate, evaluate.LongLength - evaluated, evaluated, null, null, scored));
                    continue;
                }
                rounds.Add(Fit(split.Usable, split.ClassOfRow, evaluate, fold + 1));
                progress?.Report(new(TrainingStage.Training, (fold + 1.0) / (k + 1), $"Trained fold {fold + 1} of {k}"));
            }
            // A cross-validation measured the method; the model saved learns from every row.
            var rowsName = $"the {split.Rows} rows";
            var preparation = FittedPreparation.Fit(plan.Preparation, split.Usable, rowsName, cancellationToken);
            _savedClassWeights = ClassWeights(split.ClassOfRow, null);
            var model = FitModel(preparation, split.Usable, split.Rows, rowsName, _savedClassWeights);
            cancellationToken.ThrowIfCancellationRequested();
            return (rounds, preparation, model);
        }

        /// <summary>
        /// A fold that ran on its own: its scored rows, read back, when they are there and hold the fold's rows; null when the
        /// fold is fitted here (a run without fold inputs, or scored rows missing or unreadable).
        /// </summary>
        private ScoredRows? ScoredElsewhere(int fold, bool[] evaluate)
        {
            if (_foldInputs?[fold].ScoredRowsFile is not { } path) return null;
            ScoredRows rows;
            try
            {
                using var file = new BufferedStream(File.OpenRead(path), 1 << 16);
                rows = ScoredRows.Load(file);
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return null;
            }
            return rows.GetRowCount() == evaluate.LongCount(e => e) ? rows : null;
        }

        /// <summary>
        /// A fold's reported outcome must be of this split's fold: the same data set and spec give the same split, so
        /// anything else is a fault to report, never figures to mix in.
        /// </summary>
        private void CheckOutcomeRows(int fold, bool[] evaluate)
        {
            if (_foldInputs?[fold].Outcome is not { } outcome) return;
            var evaluated = evaluate.LongCount(e => e);
            if (outcome.EvaluatedRows != evaluated || outcome.TrainingRows != evaluate.LongLength - evaluated)
                throw new InvalidOperationException(
                    $"Fold {fold + 1}'s outcome counts {outcome.TrainingRows} training and {outcome.EvaluatedRows} evaluated rows; this run's split gives it " +
                    $"{evaluate.LongLength - evaluated} and {evaluated}.");
        }

        /// <summary>
        /// What fitting a round does to the trainer context, without the fit: the trainer is created (and dropped), so the
        /// rounds after it get the random source they get in the serial run (<see cref="ModelPipeline.SkipRound"/>).
        /// </summary>
        private void SkipRound(SplitRows split, bool[] evaluate) =>
            ModelPipeline.SkipRound(trainerContext, _label, _settings, spec.Seed,
                weighted: ClassWeights(split.ClassOfRow, [.. evaluate.Select(e => !e)]) is not null);

        /// <summary>
        /// The weight of each class (in the label's class order) for the rows in <paramref name="train"/> (every row when
        /// null), or null without class weighting.
        /// </summary>
        /// <exception cref="TrainingDataException">A custom weight names a class the label does not have.</exception>
        private double[]? ClassWeights(int[]? classOfRow, bool[]? train)
        {
            var weighting = spec.Preparation.ClassWeighting ?? ClassWeighting.None;
            if (weighting == ClassWeighting.None || _label is null || classOfRow is null) return null;
            var classes = _label.Classes;
            if (weighting == ClassWeighting.Custom)
            {
                var unknown = spec.Preparation.ClassWeights.Keys.Where(k => !classes.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
                if (unknown is not null)
                    throw new TrainingDataException(_label.Source.Name,
                        $"preparation.class_weights names {Echo.Quote(unknown)}, which is not a class of {Echo.Quote(_label.Source.Name)}; its classes are {string.Join(", ", classes.Take(20).Select(c => Echo.Quote(c)))}");
                return [.. classes.Select(c => spec.Preparation.ClassWeights.GetValueOrDefault(c, 1.0))];
            }
            var counts = new long[classes.Count];
            for (var i = 0; i < classOfRow.Length; i++)
                if ((train is null || train[i]) && classOfRow[i] >= 0) counts[classOfRow[i]]++;
            var present = counts.Count(c => c > 0);
            var total = counts.Sum();
            // scikit-learn's "balanced": n / (k × n_c), over the classes present in these rows.
            return [.. counts.Select(c => c == 0 ? 1.0 : (double)total / (present * c))];
        }

        /// <summary>Fits the preparation and the model on the rows not in <paramref name="evaluate"/>.</summary>
        /// <param name="classOfRow">Classification: the class of each usable row, to check both sides have what they need.</param>
        /// <param name="foldNumber">1 to k for a fold of a cross-validation; null for the holdout.</param>
        private Round Fit(IDataView usable, int[]? classOfRow, bool[] evaluate, int? foldNumber)
        {
            var train = evaluate.Select(e => !e).ToArray();
            var trainingRows = train.LongCount(t => t);
            var evaluatedRows = evaluate.LongLength - trainingRows;
            var where = foldNumber is { } n ? $" of fold {n}" : "";
            CheckRound(classOfRow, evaluate, trainingRows, evaluatedRows, where);
            // A view of the cached rows, not a second copy of them: the trainers that read in order (trees) get the same
            // rows in the same order, and those that shuffle read the cache the pipeline puts before them (MultiplePasses).
            var training = new RowSubset(usable, train);
            var rowsName = $"the {trainingRows} training rows{where}";
            var preparation = FittedPreparation.Fit(plan.Preparation, training, rowsName, cancellationToken);
            var weights = ClassWeights(classOfRow, train);
            // A holdout saves this round's model; a cross-validation replaces these with the final model's.
            _savedClassWeights = weights;
            var model = FitModel(preparation, training, trainingRows, rowsName, weights);
            cancellationToken.ThrowIfCancellationRequested();
            return new Round(usable, evaluate, trainingRows, evaluatedRows, preparation, model);
        }

        /// <param name="rowsName">How to name the rows in an error, for example "the 8 training rows".</param>
        private ITransformer FitModel(FittedPreparation preparation, IDataView rows, long rowCount, string rowsName, IReadOnlyList<double>? classWeights)
        {
            try
            {
                return ModelPipeline.Build(ml, trainerContext, preparation, _label, _settings, spec.Seed, classWeights).Fit(rows);
            }
            catch (Exception exception) when (TrainerFailures.NoUsefulSplit(_settings, exception))
            {
                throw TrainerFailures.NoUsefulSplitError(_settings, _label?.Source.Name, rowCount, rowsName, exception);
            }
        }

        /// <summary>A round's evaluated rows to score once, keeping the prediction columns and the label in memory (<see cref="ScoredRows"/>).</summary>
        private ScoredRows Prepare(Round round)
        {
            var model = round.Model ?? throw new InvalidOperationException("A fold that ran on its own is scored already.");
            var schema = model.GetOutputSchema(round.Usable.Schema);
            // A clustering's evaluator also reads the features (the distances between clusters).
            string[] keep = [.. new[] { DefaultColumnNames.Score, DefaultColumnNames.PredictedLabel, DefaultColumnNames.Probability, _label?.TrainingColumn,
                    spec.Task == TrainingTask.Clustering ? ReservedColumns.Features : null }
                .OfType<string>().Distinct(StringComparer.Ordinal).Where(name => schema.GetColumnOrNull(name) is not null)];
            return ScoredRows.Prepare(model, round.Usable, round.Selected, keep);
        }

        /// <summary>
        /// The metrics of a round's scored rows. A fold of a cross-validation is measured through a context of its own: ML.NET
        /// estimates the area under the precision-recall curve from a sample when a fold holds over 100,000 rows, drawn from the
        /// random source the context gives the evaluator, so the figure depends only on the fold's rows and the seed, whichever
        /// run (the serial one, or the fold's own) measures it.
        /// </summary>
        private FoldScore Score(IDataView scored) =>
            ModelEvaluation.Evaluate(_evaluation.CrossValidates ? new MLContext(spec.Seed) : ml, scored, spec.Task, _label, Calibrated);

        /// <summary>A fold's figures as its own run reported them (<see cref="FoldOutcome"/>).</summary>
        private static FoldScore Score(FoldOutcome outcome) => new(
            new SortedDictionary<string, double>(outcome.Metrics.ToDictionary(m => m.Key, m => m.Value), StringComparer.Ordinal),
            outcome.ConfusionCounts.Count == 0 ? null : [.. outcome.ConfusionCounts.Select(row => row.ToArray())]);

        /// <summary>Permutation feature importance of one round: each column's drops, shuffle by shuffle.</summary>
        private Dictionary<string, List<double>> Importance(Round round, FoldScore score, string metric, IReadOnlyList<DatasetColumn> featureColumns) =>
            PermutationImportance.Measure(ml, round.Model!, round.Evaluated, score.Metrics[metric], featureColumns,
                spec.Task, _label!, Calibrated, _evaluation.PermutationCount, spec.Seed, cancellationToken);

        private static Dictionary<string, List<double>> Drops(FoldOutcome outcome) =>
            outcome.ImportanceDrops.ToDictionary(d => d.Key, d => d.Value.ToList(), StringComparer.Ordinal);

        private EvaluationReport Report(IReadOnlyList<Round> rounds, IReadOnlyList<ScoredRound> scored)
        {
            var importanceMetric = _evaluation.FeatureImportance ? PermutationImportance.MetricFor(spec.Task) : null;
            var featureColumns = plan.Preparation.Features.Select(f => f.Column).ToArray();
            List<Dictionary<string, List<double>>> importance = importanceMetric is null ? []
                : _foldInputs is { } inputs ? [.. inputs.Select(input => Drops(input.Outcome))]
                : Step(TrainingSteps.FeatureImportance, () => rounds
                    .Select((round, i) => Importance(round, scored[i].Score, importanceMetric, featureColumns))
                    .ToList());
            return ModelEvaluation.Report(
                _evaluation.CrossValidates ? EvaluationMethod.CrossValidation : EvaluationMethod.Holdout,
                _evaluation.Folds, _evaluation.CrossValidates ? 0 : spec.HoldoutFraction, plan.Stratified, [.. scored.Select(s => s.Score)],
                [.. rounds.Select(r => (r.TrainingRows, r.EvaluatedRows))], _label?.Classes ?? [],
                importanceMetric, importanceMetric is null ? [] : PermutationImportance.Summarize(featureColumns, importance));
        }

        /// <summary>
        /// Writes predictions.csv from the scored rows: the evaluated rows' columns come from memory where the model reads
        /// them, the others (identifiers, dates) from the file again, so they are never held for every row.
        /// </summary>
        private TrainingArtifact WritePredictions(SplitRows split, IReadOnlyList<IDataView> scored, CancellationToken stopToken)
        {
            IDataView Evaluated(IDataView rows) => split.HeldOut is { } heldOut ? new RowSubset(rows, heldOut) : rows;
            using var stream = new HashingFileStream(Path.Combine(outputDirectory, PredictionsFileName));
            PredictionsCsv.Write(Evaluated(split.Usable), ModelColumns().ToHashSet(StringComparer.Ordinal), Evaluated(split.Streamed),
                scored, split.Folds, data.Columns, spec.Task, _label, Calibrated, stream, stopToken);
            return stream.Complete();
        }

        /// <summary>A feature with no value in any usable row is a mistake in the data or the spec: say so before any fitting.</summary>
        private void CheckFeaturesPresent(FeaturePresence presence, long labelledRows)
        {
            var features = plan.Preparation.Features.Select(f => f.Column).ToArray();
            for (var i = 0; i < features.Length; i++)
            {
                if (presence.Present[i] > 0) continue;
                var rows = _label is null ? $"any of the {labelledRows} rows" : $"any of the {labelledRows} rows with a value in {Echo.Quote(_label.Source.Name)}";
                throw new TrainingDataException(features[i].Name,
                    $"Column {Echo.Quote(features[i].Name)} has no value in {rows}: a feature that is always missing cannot be learned from; exclude it (preparation.exclude_columns).");
            }
        }

        private void CheckRound(int[]? classOfRow, bool[] evaluate, long trainingRows, long evaluatedRows, string where)
        {
            var labelName = _label?.Source.Name;
            if (trainingRows == 0 || evaluatedRows == 0)
                throw new TrainingDataException(labelName,
                    _evaluation.CrossValidates
                        ? $"The {evaluate.Length} usable rows are too few for {_evaluation.Folds} folds."
                        : $"The {evaluate.Length} usable rows are too few to hold out {spec.HoldoutFraction:0.##} of them and train on the rest.");
            if (classOfRow is null || !spec.Task.IsClassification())
                return;
            var trainingClasses = new SortedSet<int>();
            var evaluatedClasses = new SortedSet<int>();
            for (var row = 0; row < evaluate.Length; row++)
                (evaluate[row] ? evaluatedClasses : trainingClasses).Add(classOfRow[row]);
            if (trainingClasses.Count < 2)
                throw new TrainingDataException(labelName,
                    $"The training rows{where} hold a single class of {Echo.Quote(labelName)} ({Echo.Quote(_label!.Classes[trainingClasses.Min])}); use more data{(_evaluation.CrossValidates ? "" : " or another seed")}.");
            // AUC needs both classes among the rows it is computed on.
            if (spec.Task == TrainingTask.BinaryClassification && evaluatedClasses.Count < 2)
                throw new TrainingDataException(labelName,
                    $"The {(_evaluation.CrossValidates ? "evaluated" : "holdout")} rows{where} hold a single class of {Echo.Quote(labelName)} ({Echo.Quote(_label!.Classes[evaluatedClasses.Min])}); " +
                    (_evaluation.CrossValidates
                        ? $"each class needs at least {_evaluation.Folds} rows (one per fold) in a stratified split."
                        : "use more data or a larger holdout fraction."));
        }

        private static long Count(IDataView view)
        {
            long count = 0;
            using var cursor = view.GetRowCursor([]);
            while (cursor.MoveNext()) count++;
            return count;
        }

        private string Describe(SplitRows split)
        {
            var text = $"{split.Total} rows";
            if (_label is not null && split.Total > split.Labelled) text += $", {split.Total - split.Labelled} without a value in {Echo.Quote(_label.Source.Name)} dropped";
            if (split.Labelled > split.Rows) text += $", {split.Labelled - split.Rows} missing a drop_row column dropped";
            return text + (split.Folds is null
                ? $"; {split.HeldOut!.Count(h => !h)} for training, {split.HeldOut!.Count(h => h)} held out"
                : $"; {_evaluation.Folds} folds of {split.Rows} rows");
        }
    }

    /// <summary>How many rows have a value in each feature, counted over rows a pass reads (those with a label).</summary>
    private sealed class FeaturePresence(DatasetColumn[] features)
    {
        /// <summary>Per feature, the rows with a value in it.</summary>
        public long[] Present { get; } = new long[features.Length];

        /// <summary>Rows counted by <see cref="Count"/>.</summary>
        public long Rows { get; private set; }

        /// <summary>Binds to a pass's cursor (the features among its columns): what to do with each row, told whether it has a label.</summary>
        public Action<bool> Observe(DataViewRowCursor cursor)
        {
            var readers = new Func<bool>[features.Length];
            for (var i = 0; i < features.Length; i++)
            {
                var column = cursor.Schema[features[i].Name];
                if (features[i].Kind == ColumnKind.Numeric)
                {
                    var get = cursor.GetGetter<float>(column);
                    float value = 0;
                    readers[i] = () => { get(ref value); return !float.IsNaN(value); };
                }
                else
                {
                    var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
                    ReadOnlyMemory<char> value = default;
                    readers[i] = () => { get(ref value); return !value.IsEmpty; };
                }
            }
            return labelled =>
            {
                if (!labelled) return;
                for (var i = 0; i < readers.Length; i++)
                    if (readers[i]()) Present[i]++;
            };
        }

        /// <summary>A pass of its own over <paramref name="rows"/>, for a run without a label.</summary>
        public void Count(IDataView rows, CancellationToken cancellationToken)
        {
            using var cursor = rows.GetRowCursor([.. features.Select(f => rows.Schema[f.Name])]);
            var observe = Observe(cursor);
            while (cursor.MoveNext())
            {
                if ((++Rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                observe(true);
            }
        }
    }

    /// <summary>
    /// ML.NET's trainers poll a cancellation flag between iterations, but the method that raises it,
    /// <c>MLContext.CancelExecution</c>, is internal. Reach it by reflection; should a later ML.NET
    /// rename it, runs still stop, only later: at the next stage boundary.
    /// </summary>
    private static void CancelExecution(MLContext ml) => CancelMethod?.Invoke(ml, null);

    private static readonly System.Reflection.MethodInfo? CancelMethod = typeof(MLContext).GetMethod(
        "CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, Type.EmptyTypes);

    private static TrainingDataException? DataError(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is TrainingDataException found) return found;
        return exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions.OfType<TrainingDataException>().FirstOrDefault() : null;
    }

    /// <summary>Checks the declared columns before any training starts (<see cref="DatasetReader"/> checks them against the file).</summary>
    private static void CheckColumns(DatasetFile data)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in data.Columns)
        {
            // Refused at upload since the rule exists; a data set stored before it fails here, for good, instead of
            // deep inside ML.NET (which trims or loses such names) on every attempt.
            if (ColumnNameRule.Problem(column.Name) is { } problem)
                throw new TrainingDataException(column.Name, $"Column {Echo.Quote(column.Name)} {problem}; upload the data set again with the column renamed.");
            if (!seen.Add(column.Name))
                throw new TrainingDataException(column.Name, $"Column {Echo.Quote(column.Name)} appears more than once in the data set.");
            if (ReservedColumns.IsReserved(column.Name))
                throw new TrainingDataException(column.Name, $"Column name {Echo.Quote(column.Name)} is reserved for the training pipeline; rename the column.");
        }
    }
}
