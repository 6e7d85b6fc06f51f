using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Google.Protobuf.Reflection;
using Platform.Jobs.V1;

namespace Platform.Cli.Commands;

/// <summary>
/// One <c>jobs submit</c> option per <see cref="JobSpec"/> field, its preparation and its evaluation included, and the
/// spec they build. <see cref="Fields"/> says which flag sets which proto field; a test walks the proto's descriptor
/// so that a field added to the proto without a flag fails the build's tests.
/// </summary>
public sealed class JobSpecOptions
{
    private readonly Option<string> _dataset = new("--dataset") { Description = "Id of the data set to train on", Required = true, HelpName = "id" };
    private readonly Option<TrainingTask> _task = TaskOption.Create("What to predict");
    private readonly Option<string> _label = new("--label") { Description = "Column to predict", Required = true, HelpName = "column" };
    private readonly Option<string> _trainer = new("--trainer") { Description = "Trainer name (see 'trainers list')", Required = true, HelpName = "name" };
    private readonly Option<IReadOnlyDictionary<string, string>> _parameters = Hyperparameters.CreateOption();
    private readonly Option<int> _seed = new("--seed") { Description = "Seed for the split and the trainer; the same seed gives the same model", HelpName = "n" };
    private readonly Option<string?> _modelName = new("--model-name") { Description = "Register the model under this name (default: the data set's name)", HelpName = "name" };
    private readonly Option<double> _holdout = new("--holdout") { Description = "Share of rows held out for evaluation, above 0 and at most 0.5 (default 0.2)", HelpName = "fraction" };
    private readonly Option<int> _priority = new("--priority") { Description = "Dispatch order: higher first (default 0)", HelpName = "n" };
    private readonly Option<string?> _queue = new("--queue") { Description = "Queue whose running-job limit applies (default: \"default\")", HelpName = "name" };
    private readonly Option<int> _maxRunSeconds = new("--max-run-seconds") { Description = "Longest one attempt may run before the job times out (default: no limit)", HelpName = "s" };
    private readonly Option<string[]> _include = Columns("--include", "Only these columns are features; repeat for more");
    private readonly Option<string[]> _exclude = Columns("--exclude", "Keep this column out of the features (an identifier, a leak); repeat for more");
    private readonly Option<string[]> _useSensitive = Columns("--use-sensitive", "Train on this column although the data set marks it sensitive; repeat for more");
    private readonly Option<MissingValuePolicy> _missing = Choice<MissingValuePolicy>("--missing", "Missing-value policy of every column without one of its own");
    private readonly Option<CategoricalEncoding> _encoding = Choice<CategoricalEncoding>("--encoding", "Encoding of categorical columns (default: one-hot up to --hashing-threshold values)");
    private readonly Option<int> _hashingThreshold = new("--hashing-threshold") { Description = "Distinct values above which automatic encoding hashes (default 1000)", HelpName = "n" };
    private readonly Option<int> _hashingBits = new("--hashing-bits") { Description = "Bits of the hash of hashed columns, 1 to 24 (default 16)", HelpName = "n" };
    private readonly Option<Normalization> _normalize = Choice<Normalization>("--normalize", "Scaling of the features (default: the trainer's)");
    private readonly Option<IReadOnlyList<ColumnPreparation>> _column = new("--column")
    {
        Description = "One column's preparation: NAME=choice[,choice…], each a missing-value policy (mean, median, most_frequent, drop_row, " +
            "indicator), an encoding (one_hot, hashing, text) or a date part (year, month, day, day_of_week, day_of_year, hour); repeat for more",
        HelpName = "name=choices",
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => ParseColumns(result.Tokens.Select(t => t.Value), result.AddError),
        DefaultValueFactory = _ => [],
    };
    private readonly Option<ClassWeighting> _classWeighting = Choice<ClassWeighting>("--class-weighting", "Classification: weight each class's rows (default none)");
    private readonly Option<IReadOnlyDictionary<string, double>> _classWeight = new("--class-weight")
    {
        Description = "With custom weighting: CLASS=WEIGHT; repeat for more (alone, it implies --class-weighting custom)",
        HelpName = "class=weight",
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => ParseWeights(result.Tokens.Select(t => t.Value), result.AddError),
        DefaultValueFactory = _ => new Dictionary<string, double>(),
    };
    private readonly Option<int> _folds = new("--folds") { Description = "k-fold cross-validation, 2 to 20, instead of a holdout", HelpName = "k" };
    private readonly Option<bool?> _stratified = new("--stratified")
    {
        Description = "Keep each class's share in every part; --stratified false splits at random (default: stratified wherever there are classes)",
        HelpName = "true|false",
        Arity = ArgumentArity.ZeroOrOne,
        // Only "true" or "false" are taken as its value; any other word after it is an unrecognised argument.
        CustomParser = result => result.Tokens.Count == 0 || bool.Parse(result.Tokens[0].Value),
    };
    private readonly Option<bool> _featureImportance = new("--feature-importance") { Description = "Measure permutation feature importance" };
    private readonly Option<int> _permutations = new("--permutations") { Description = "Shuffles per column for feature importance, 1 to 100 (default 5)", HelpName = "n" };
    private readonly Option<bool> _parallelFolds = new("--parallel-folds")
    {
        Description = "With --folds: run each fold as a job of its own on whichever worker is free, then fit on every row (same metrics and model as without)",
    };

    public JobSpecOptions() => _task.Required = true;

    /// <summary>
    /// The flag that sets each proto field that holds a value, by its path from <see cref="JobSpec"/>
    /// ("preparation.include_columns", "preparation.columns.encoding").
    /// </summary>
    public IReadOnlyDictionary<string, Option> Fields => new Dictionary<string, Option>(StringComparer.Ordinal)
    {
        ["dataset_id"] = _dataset,
        ["task"] = _task,
        ["label_column"] = _label,
        ["trainer"] = _trainer,
        ["hyperparameters"] = _parameters,
        ["seed"] = _seed,
        ["model_name"] = _modelName,
        ["holdout_fraction"] = _holdout,
        ["priority"] = _priority,
        ["queue"] = _queue,
        ["max_run_seconds"] = _maxRunSeconds,
        ["preparation.include_columns"] = _include,
        ["preparation.exclude_columns"] = _exclude,
        ["preparation.missing_values"] = _missing,
        ["preparation.categorical_encoding"] = _encoding,
        ["preparation.hashing_threshold"] = _hashingThreshold,
        ["preparation.hashing_bits"] = _hashingBits,
        ["preparation.normalization"] = _normalize,
        ["preparation.columns.name"] = _column,
        ["preparation.columns.missing_values"] = _column,
        ["preparation.columns.encoding"] = _column,
        ["preparation.columns.date_parts"] = _column,
        ["preparation.use_sensitive_columns"] = _useSensitive,
        ["preparation.class_weighting"] = _classWeighting,
        ["preparation.class_weights"] = _classWeight,
        ["evaluation.folds"] = _folds,
        ["evaluation.stratified"] = _stratified,
        ["evaluation.feature_importance"] = _featureImportance,
        ["evaluation.permutations"] = _permutations,
        ["evaluation.parallel_folds"] = _parallelFolds,
    };

    /// <summary>Every option, each once, in the order <c>--help</c> lists them.</summary>
    public IEnumerable<Option> All => Fields.Values.Distinct();

    /// <summary>The spec the command line asks for; preparation and evaluation only when one of their flags is given.</summary>
    public JobSpec Build(ParseResult parse)
    {
        var spec = new JobSpec
        {
            DatasetId = parse.GetRequiredValue(_dataset),
            Task = parse.GetValue(_task),
            LabelColumn = parse.GetRequiredValue(_label),
            Trainer = parse.GetRequiredValue(_trainer),
            Hyperparameters = { new Dictionary<string, string>(parse.GetRequiredValue(_parameters)) },
            Seed = parse.GetValue(_seed),
            ModelName = parse.GetValue(_modelName) ?? "",
            HoldoutFraction = parse.GetValue(_holdout),
            Priority = parse.GetValue(_priority),
            Queue = parse.GetValue(_queue) ?? "",
            MaxRunSeconds = parse.GetValue(_maxRunSeconds),
        };
        var preparation = new Preparation
        {
            IncludeColumns = { parse.GetValue(_include) ?? [] },
            ExcludeColumns = { parse.GetValue(_exclude) ?? [] },
            UseSensitiveColumns = { parse.GetValue(_useSensitive) ?? [] },
            MissingValues = parse.GetValue(_missing),
            CategoricalEncoding = parse.GetValue(_encoding),
            HashingThreshold = parse.GetValue(_hashingThreshold),
            HashingBits = parse.GetValue(_hashingBits),
            Normalization = parse.GetValue(_normalize),
            Columns = { parse.GetRequiredValue(_column) },
            ClassWeighting = parse.GetValue(_classWeighting),
        };
        preparation.ClassWeights.Add(new Dictionary<string, double>(parse.GetRequiredValue(_classWeight)));
        if (preparation.ClassWeights.Count > 0 && preparation.ClassWeighting == ClassWeighting.Unspecified)
            preparation.ClassWeighting = ClassWeighting.Custom;
        if (!preparation.Equals(new Preparation())) spec.Preparation = preparation;
        var evaluation = new EvaluationSpec
        {
            Folds = parse.GetValue(_folds),
            FeatureImportance = parse.GetValue(_featureImportance),
            Permutations = parse.GetValue(_permutations),
            ParallelFolds = parse.GetValue(_parallelFolds),
        };
        if (parse.GetValue(_stratified) is { } stratified) evaluation.Stratified = stratified;
        if (!evaluation.Equals(new EvaluationSpec())) spec.Evaluation = evaluation;
        return spec;
    }

    /// <summary>The choices of a proto enum by their wire names (<c>MISSING_VALUE_POLICY_DROP_ROW</c> is <c>drop_row</c>).</summary>
    internal static IReadOnlyDictionary<string, T> WireNames<T>() where T : struct, Enum
    {
        var descriptor = EnumDescriptorOf<T>();
        var prefix = descriptor.Values[0].Name[..^"UNSPECIFIED".Length];
        return descriptor.Values.Where(v => v.Number != 0)
            .ToDictionary(v => v.Name[prefix.Length..].ToLowerInvariant(), v => (T)Enum.ToObject(typeof(T), v.Number), StringComparer.Ordinal);
    }

    private static EnumDescriptor EnumDescriptorOf<T>() where T : struct, Enum =>
        JobsReflection.Descriptor.EnumTypes.Single(e => e.ClrType == typeof(T));

    private static Option<T> Choice<T>(string name, string description) where T : struct, Enum
    {
        var names = WireNames<T>();
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = string.Join('|', names.Keys),
            CustomParser = result => names.GetValueOrDefault(result.Tokens[0].Value),
        };
        option.AcceptOnlyFromAmong([.. names.Keys]);
        return option;
    }

    /// <summary>Reads <c>CLASS=WEIGHT</c> pairs; a class name may hold '=', so the weight is after the last one.</summary>
    internal static IReadOnlyDictionary<string, double> ParseWeights(IEnumerable<string> values, Action<string> error)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var separator = value.LastIndexOf('=');
            var name = separator < 0 ? "" : value[..separator];
            if (name.Length == 0 || !double.TryParse(value[(separator + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
                error($"--class-weight: '{value}' is not CLASS=WEIGHT with a number for the weight");
            else if (!weights.TryAdd(name, weight))
                error($"--class-weight: '{name}' is given more than once");
        }
        return weights;
    }

    private static Option<string[]> Columns(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "column",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Reads <c>NAME=choice,choice</c>: the name is everything before the last '=', since no choice holds one.</summary>
    internal static IReadOnlyList<ColumnPreparation> ParseColumns(IEnumerable<string> values, Action<string> error)
    {
        var policies = WireNames<MissingValuePolicy>();
        var encodings = WireNames<ColumnEncoding>();
        var parts = WireNames<DatePart>();
        var columns = new List<ColumnPreparation>();
        foreach (var value in values)
        {
            var separator = value.LastIndexOf('=');
            var name = separator < 0 ? "" : value[..separator].Trim();
            var choices = separator < 0 ? [] : value[(separator + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (name.Length == 0 || choices.Length == 0)
            {
                error($"--column: '{value}' is not NAME=choice[,choice…]");
                continue;
            }
            var column = new ColumnPreparation { Name = name };
            foreach (var choice in choices)
            {
                if (policies.TryGetValue(choice, out var policy)) column.MissingValues = policy;
                else if (encodings.TryGetValue(choice, out var encoding)) column.Encoding = encoding;
                else if (parts.TryGetValue(choice, out var part)) column.DateParts.Add(part);
                else error($"--column {name}: '{choice}' is none of {string.Join(", ", policies.Keys.Concat(encodings.Keys).Concat(parts.Keys))}");
            }
            columns.Add(column);
        }
        return columns;
    }
}
