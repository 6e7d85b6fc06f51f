using System.IO.Compression;
using System.Text.RegularExpressions;
using Platform.Contracts;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.ModelCards;
using Platform.Training.Preparation;
using SkiaSharp;

namespace Platform.Training.Tests;

/// <summary>Model cards of real runs: the sections a reader looks for, and pictures that exist and decode.</summary>
public sealed partial class ModelCardTests : IDisposable
{
    private const int Seed = 42;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Penguins_card_has_every_section_and_each_linked_picture_exists_and_decodes()
    {
        var spec = new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["Island"] },
            Evaluation = new EvaluationSpec { Folds = 3, FeatureImportance = true, Permutations = 2 },
        };
        var subject = await Subject(SampleData.Penguins, spec);

        var card = ModelCardWriter.Build(subject);

        string[] sections = ["# Model card: penguins", "## Model details", "## Data", "### Label distribution", "### Data profile", "## Preparation",
            "## Evaluation", "### Per class", "### Confusion matrix", "## Feature importance", "## Intended use", "## Limitations", "## Privacy"];
        var lines = card.Markdown.Split('\n');
        var positions = sections.Select(s => Array.IndexOf(lines, s)).ToArray();
        Assert.All(positions.Zip(sections), p => Assert.True(p.First >= 0, $"missing section '{p.Second}'"));
        Assert.Equal(positions.Order(), positions);

        var linked = LinkedImages(card.Markdown);
        Assert.Equal([ModelCardWriter.ConfusionMatrixImage, ModelCardWriter.FeatureImportanceImage], linked);
        Assert.Equal(linked.Order(), card.Images.Select(i => i.FileName).Order());
        foreach (var image in card.Images) AssertPng(image.Png);

        // What a reader checks: the classes with their counts, CV mean ± std, the excluded column, the open fields.
        Assert.Contains("| Adelie | 152 | 44.2 % |", card.Markdown, StringComparison.Ordinal);
        // Beside the counts, each actual class's shares: its recall on the diagonal.
        Assert.Contains("Row-normalised: the share of each actual class's rows predicted as each class (its recall on the diagonal).", card.Markdown, StringComparison.Ordinal);
        var adelie = subject.Result.Evaluation.ConfusionMatrix!.Counts[0];
        Assert.Contains($"| Adelie | {string.Join(" | ", adelie.Select(n => (n * 100.0 / adelie.Sum()).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %"))} |",
            card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `accuracy` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| metric | mean | std |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("Excluded from the features by the job (identifiers, sensitive columns): `Island`", card.Markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, ModelCardWriter.NotFilledIn), card.Markdown, StringComparison.Ordinal);
        // The stored profile: rows, per column type, missing count and share, distinct count; its warnings; the imbalance.
        Assert.Contains("every row of the data set at upload: 344 rows.", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| column | type | missing | missing share | distinct |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `Beak Length (mm)` | numeric | 2 | 0.6 % | 164 |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `Sex` | categorical | 10 | 2.9 % | 3 |", card.Markdown, StringComparison.Ordinal);
        // Warnings are plain text (they quote column names): shown as written, so their backticks are escaped.
        // Each warning says what the job did with its column: here Sex is a feature and Island was excluded.
        Assert.Contains("Warnings, and what this job did with each column:\n\n- column \\`Sex\\` has 2.9% missing values — **used as a feature by this job**.\n" +
            "- column \\`Island\\` alone predicts label \\`Species\\` almost perfectly — excluded by this job.\n", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("imbalance ratio): 2.2353.", card.Markdown, StringComparison.Ordinal);
        var counts = subject.Result.Evaluation.ConfusionMatrix!.Counts;
        Assert.Contains($"| Adelie | {string.Join(" | ", counts[0])} |", card.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_card_records_the_class_weighting_and_each_class_weight()
    {
        var spec = new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = Seed,
            Preparation = new DataPreparation { ClassWeighting = ClassWeighting.Balanced },
            Evaluation = new EvaluationSpec { Folds = 3 },
        };

        var card = ModelCardWriter.Build(await Subject(SampleData.Penguins, spec)).Markdown;

        // 344 penguins: 152 Adelie, 68 Chinstrap, 124 Gentoo; each weighs 344 / (3 × its count).
        Assert.Contains("| Class weighting | `balanced`: each training row weighs its class's weight (Adelie `0.7544`, Chinstrap `1.6863`, Gentoo `0.9247`) |",
            card, StringComparison.Ordinal);
        Assert.Contains("`class_weights` on `Species` (weight[Adelie] = `0.7543859649122807`", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_run_gives_the_same_card_and_the_bundle_holds_markdown_and_pictures()
    {
        var subject = await Subject(SampleData.Iris, new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "sdca_maximum_entropy", Seed = Seed,
        });

        var first = ModelCardWriter.Write(subject, _temp.File("card-1.zip"));
        var second = ModelCardWriter.Write(subject, _temp.File("card-2.zip"));

        Assert.Equal(first.Sha256, second.Sha256);
        using var zip = ZipFile.OpenRead(first.Path);
        Assert.Equal([ModelCardBundle.MarkdownEntry, ModelCardBundle.ImageFolder + ModelCardWriter.ConfusionMatrixImage], zip.Entries.Select(e => e.FullName));
        using var reader = new StreamReader(zip.GetEntry(ModelCardBundle.MarkdownEntry)!.Open());
        Assert.Equal(ModelCardWriter.Build(subject).Markdown, reader.ReadToEnd());
    }

    [Theory]
    [InlineData("sdca_logistic", "calibrated probability")]
    [InlineData("averaged_perceptron", "raw score")]
    public async Task Binary_card_has_roc_precision_recall_and_for_probabilities_calibration_pictures(string trainer, string scoreSource)
    {
        var data = SampleData.IrisTwoClass(_temp.Path, ColumnKind.Categorical);
        var subject = await Subject(data, new TrainingSpec { Task = TrainingTask.BinaryClassification, LabelColumn = "is_versicolor", Trainer = trainer, Seed = Seed });

        var card = ModelCardWriter.Build(subject);

        Assert.Contains("### ROC curve", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("### Precision-recall curve", card.Markdown, StringComparison.Ordinal);
        Assert.Contains(scoreSource, card.Markdown, StringComparison.Ordinal);
        string[] calibration = trainer == "sdca_logistic" ? [ModelCardWriter.CalibrationImage] : [];
        Assert.Equal([ModelCardWriter.ConfusionMatrixImage, ModelCardWriter.RocImage, ModelCardWriter.PrecisionRecallImage, .. calibration], LinkedImages(card.Markdown));
        Assert.Contains(trainer == "sdca_logistic" ? "| predicted probability (mean) | rows | share yes |" : "_Not drawn: the trainer gives a raw score, not a probability._",
            card.Markdown, StringComparison.Ordinal);
        Assert.Equal(LinkedImages(card.Markdown), card.Images.Select(i => i.FileName));
        foreach (var image in card.Images) AssertPng(image.Png);
    }

    [Fact]
    public async Task Regression_card_has_a_residual_plot_and_the_label_spread()
    {
        var subject = await Subject(SampleData.Iris, new TrainingSpec
        {
            Task = TrainingTask.Regression, LabelColumn = "petal_width", Trainer = "fast_tree", Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["species"] },
        });

        var card = ModelCardWriter.Build(subject);

        Assert.Contains("### Residuals", card.Markdown, StringComparison.Ordinal);
        Assert.Matches(@"each of the \d+ evaluated rows", card.Markdown); // few rows: every one is drawn
        Assert.Contains("### Label values", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| 150 | 0 | 0.1 |", card.Markdown, StringComparison.Ordinal); // rows, missing, min of petal_width
        Assert.DoesNotContain("### Confusion matrix", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("### Actual vs predicted", card.Markdown, StringComparison.Ordinal);
        Assert.Equal([ModelCardWriter.ResidualsImage, ModelCardWriter.ActualVersusPredictedImage], LinkedImages(card.Markdown));
        Assert.Equal(LinkedImages(card.Markdown), card.Images.Select(i => i.FileName));
        foreach (var image in card.Images) AssertPng(image.Png);
    }

    [Fact]
    public async Task Regression_card_shows_the_labels_spread_over_every_row_without_reading_the_data_or_predictions_again()
    {
        var data = SampleData.Iris with { Path = _temp.File("iris-copy.csv") };
        File.Copy(SampleData.Iris.Path, data.Path);
        var subject = await Subject(data, new TrainingSpec { Task = TrainingTask.Regression, LabelColumn = "petal_width", Trainer = "fast_tree", Seed = Seed });
        // The card comes from what the run kept: the files may be gone by the time it is drawn.
        File.Delete(data.Path);
        File.Delete(subject.Result.Predictions.Path);

        var card = ModelCardWriter.Build(subject);

        var widths = File.ReadLines(SampleData.Iris.Path).Skip(1).Where(l => l.Length > 0)
            .Select(l => (double)float.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
        var mean = widths.Average();
        var std = Math.Sqrt(widths.Sum(v => (v - mean) * (v - mean)) / (widths.Length - 1));
        static string N(double value) => value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("| rows | missing | min | median | mean | std | max |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains($"| {widths.Length} | 0 | {N(widths[0])} | {N(widths[(widths.Length - 1) / 2])} | {N(mean)} | {N(std)} | {N(widths[^1])} |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains($"each of the {subject.Result.Rows.Evaluated} evaluated rows", card.Markdown, StringComparison.Ordinal);
        Assert.Equal([ModelCardWriter.ResidualsImage, ModelCardWriter.ActualVersusPredictedImage], card.Images.Select(i => i.FileName));
    }

    [Fact]
    public async Task Without_the_stored_profile_the_card_says_why_and_shows_the_columns_as_recorded()
    {
        var subject = await Subject(SampleData.Iris, new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "sdca_maximum_entropy", Seed = Seed,
        }) with
        {
            DataProfile = new DataProfile
            {
                Columns = [new("sepal_length", "numeric", 0), new("species", "categorical", 0)],
                Unavailable = "the model store answered Unavailable: connection refused",
            },
        };

        var card = ModelCardWriter.Build(subject);

        Assert.Contains("_The stored data profile could not be read when the card was written (the model store answered Unavailable: connection refused); " +
            "below, each column's type and missing count as the data set's record has them._", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| column | type | missing |\n| --- | --- | --- |\n| `sepal_length` | numeric | 0 |\n| `species` | categorical | 0 |\n", card.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("missing share", card.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("imbalance ratio", card.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Filling_a_field_replaces_only_the_text_between_its_markers()
    {
        var markdown = "a " + ModelCardBundle.Field(ModelCardBundle.LimitationsField, "default") + " b " + ModelCardBundle.Field(ModelCardBundle.VersionField, "?");

        var filled = ModelCardBundle.Fill(markdown, ModelCardBundle.LimitationsField, "Only for Antarctic penguins.");

        Assert.Equal("a " + ModelCardBundle.Field(ModelCardBundle.LimitationsField, "Only for Antarctic penguins.") + " b " + ModelCardBundle.Field(ModelCardBundle.VersionField, "?"), filled);
    }

    /// <summary>
    /// Issue 15, defect 3: label values went into card.md as they came, so a class named
    /// <c>&lt;img src=x onerror=alert(1)&gt;</c> was raw HTML in every renderer that allows it. Values are now escaped
    /// (HTML entities, Markdown punctuation) and render as the text they are.
    /// </summary>
    [Fact]
    public async Task Label_values_in_the_card_are_escaped_so_no_html_or_markdown_runs()
    {
        const string Html = "<img src=x onerror=alert(1)>";
        const string Markdown = "**bold** [link](http://x)";
        var data = SampleData.Write(_temp.Path, "labels.csv",
            [new("x", Platform.Training.Data.ColumnKind.Numeric), new("label", Platform.Training.Data.ColumnKind.Categorical)],
            Enumerable.Range(0, 80).Select(i => $"{i % 7}.5,\"{(i % 2 == 0 ? Html : Markdown)}\""));
        var spec = new TrainingSpec { Task = TrainingTask.BinaryClassification, LabelColumn = "label", Trainer = "fast_tree", Seed = Seed };

        var card = ModelCardWriter.Build(await Subject(data, spec));

        Assert.DoesNotContain("<img", card.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("**bold**", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| &lt;img src=x onerror=alert\\(1\\)&gt; |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| \\*\\*bold\\*\\* \\[link\\]\\(http://x\\) |", card.Markdown, StringComparison.Ordinal);
    }

    private async Task<ModelCardSubject> Subject(CsvDataset data, TrainingSpec spec)
    {
        var result = await TrainingRun.ExecuteAsync(data, spec, _temp.File("run-" + Guid.NewGuid().ToString("N")));
        return new ModelCardSubject
        {
            ModelName = data == SampleData.Penguins ? "penguins" : "iris",
            JobId = "0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11",
            Attempt = 1,
            DatasetId = "0194f3a2-0000-7cc0-9a53-6d1c1f6a1c11",
            DatasetName = Path.GetFileName(data.Path),
            DatasetSha256 = new string('a', 64),
            Data = data,
            Spec = spec,
            Result = result,
            DataProfile = data == SampleData.Penguins ? PenguinsProfile : DataProfile.None,
        };
    }

    /// <summary>Part of the stored profile of penguins, as the worker gets it from the store.</summary>
    private static readonly DataProfile PenguinsProfile = new()
    {
        Rows = 344,
        Columns = [new("Species", "categorical", 0, 0, 3), new("Beak Length (mm)", "numeric", 2, 2 / 344.0, 164), new("Sex", "categorical", 10, 10 / 344.0, 3)],
        Warnings =
        [
            new DataWarning("missing_values", "Sex", "column `Sex` has 2.9% missing values"),
            new DataWarning("likely_leak", "Island", "column `Island` alone predicts label `Species` almost perfectly"),
        ],
        LabelImbalance = 152 / 68.0,
    };

    private static string[] LinkedImages(string markdown) =>
        [.. ImageLink().Matches(markdown).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"!\[[^\]]*\]\(images/([^)]+)\)")]
    private static partial Regex ImageLink();

    private static void AssertPng(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((640, 480), (bitmap.Width, bitmap.Height));
        // Not a blank canvas: a chart has more than a handful of colours.
        var colours = new HashSet<uint>();
        for (var y = 0; y < bitmap.Height; y += 7)
            for (var x = 0; x < bitmap.Width; x += 7)
                colours.Add((uint)bitmap.GetPixel(x, y));
        Assert.True(colours.Count > 3, $"only {colours.Count} colours");
    }
}
