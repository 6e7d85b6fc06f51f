using Platform.Training.Data;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

public sealed class PreparationPlanTests
{
    private static readonly DatasetColumn[] Columns =
    [
        new("id", ColumnKind.Categorical),
        new("age", ColumnKind.Numeric),
        new("city", ColumnKind.Categorical),
        new("member", ColumnKind.Boolean),
        new("review", ColumnKind.Text),
        new("churned", ColumnKind.Categorical),
    ];

    private static PreparationPlan Plan(DataPreparation spec, bool linear = true) => PreparationPlan.Create(spec, Columns, "churned", linear);

    [Fact]
    public void Defaults_follow_each_columns_type_and_the_trainer_family()
    {
        var plan = Plan(DataPreparation.Default);

        Assert.Equal(
            [("id", FeatureTreatment.Automatic, MissingValuePolicy.Indicator), ("age", FeatureTreatment.Number, MissingValuePolicy.Mean),
             ("city", FeatureTreatment.Automatic, MissingValuePolicy.Indicator), ("member", FeatureTreatment.Automatic, MissingValuePolicy.Indicator),
             ("review", FeatureTreatment.Text, MissingValuePolicy.Indicator)],
            plan.Features.Select(f => (f.Column.Name, f.Treatment, f.MissingValues)));
        Assert.Equal(FeatureNormalization.MinMax, plan.Normalization);
        Assert.Equal(FeatureNormalization.None, Plan(DataPreparation.Default, linear: false).Normalization);
        Assert.Equal((1000, 16), (plan.HashingThreshold, plan.HashingBits));
    }

    [Fact]
    public void Sensitive_columns_are_left_out_unless_the_job_opts_in_and_cannot_be_asked_for_otherwise()
    {
        DatasetColumn[] columns = [.. Columns.Select(c => c.Name is "age" or "city" ? c with { Sensitive = true } : c)];
        PreparationPlan Create(DataPreparation spec, string label = "churned") => PreparationPlan.Create(spec, columns, label, true);

        var plan = Create(DataPreparation.Default);
        Assert.Equal(["id", "member", "review"], plan.Features.Select(f => f.Column.Name));
        Assert.Equal(["age", "city"], plan.SensitiveWithheld);

        var optedIn = Create(new DataPreparation { UseSensitiveColumns = ["age"] });
        Assert.Equal(["id", "age", "member", "review"], optedIn.Features.Select(f => f.Column.Name));
        Assert.Equal(["city"], optedIn.SensitiveWithheld);

        Assert.Equal("preparation.include_columns[1]",
            Assert.Throws<SpecValidationException>(() => Create(new DataPreparation { IncludeColumns = ["id", "city"] })).Field);
        Assert.Equal("preparation.columns[0].name",
            Assert.Throws<SpecValidationException>(() => Create(new DataPreparation { Columns = [new ColumnPreparation { Name = "age" }] })).Field);
        var notSensitive = Assert.Throws<SpecValidationException>(() => Create(new DataPreparation { UseSensitiveColumns = ["review"] }));
        Assert.Equal("preparation.use_sensitive_columns[0]", notSensitive.Field);
        Assert.Contains("'review' is not marked sensitive", notSensitive.Message, StringComparison.Ordinal);
        Assert.Equal("label_column", Assert.Throws<SpecValidationException>(() => Create(DataPreparation.Default, label: "city")).Field);
        // A sensitive label the job opts in to is the label; the other sensitive column stays out.
        var sensitiveLabel = PreparationPlan.Create(new DataPreparation { UseSensitiveColumns = ["city"] }, columns, "city", true);
        Assert.Equal(["id", "member", "review", "churned"], sensitiveLabel.Features.Select(f => f.Column.Name));
    }

    [Fact]
    public void A_default_policy_applies_where_it_can_and_per_column_choices_win()
    {
        var plan = Plan(new DataPreparation
        {
            MissingValues = MissingValuePolicy.Median,
            CategoricalEncoding = CategoricalEncoding.Hashing,
            ExcludeColumns = ["id"],
            Normalization = FeatureNormalization.MeanVariance,
            Columns =
            [
                new ColumnPreparation { Name = "city", MissingValues = MissingValuePolicy.MostFrequent, Encoding = ColumnEncoding.OneHot },
                new ColumnPreparation { Name = "age", Encoding = ColumnEncoding.Hashing },
            ],
        });

        Assert.Equal(
            [("age", FeatureTreatment.Hashing, MissingValuePolicy.Median), ("city", FeatureTreatment.OneHot, MissingValuePolicy.MostFrequent),
             ("member", FeatureTreatment.Hashing, MissingValuePolicy.Indicator), ("review", FeatureTreatment.Text, MissingValuePolicy.Indicator)],
            plan.Features.Select(f => (f.Column.Name, f.Treatment, f.MissingValues)));
        Assert.Equal(["id"], plan.ExcludedColumns);
        Assert.Equal(FeatureNormalization.MeanVariance, plan.Normalization);
    }

    [Fact]
    public void Include_columns_keep_only_those()
    {
        var plan = Plan(new DataPreparation { IncludeColumns = ["review", "age"] });

        Assert.Equal(["age", "review"], plan.Features.Select(f => f.Column.Name));
        Assert.Equal(["id", "city", "member"], plan.ExcludedColumns);
    }

    public static TheoryData<DataPreparation, string, string> Invalid => new()
    {
        { new DataPreparation { ExcludeColumns = ["age", "Town"] }, "preparation.exclude_columns[1]", "'Town' is not a column of the data set; its columns are 'id', 'age', 'city', 'member', 'review', 'churned'" },
        { new DataPreparation { ExcludeColumns = ["City"] }, "preparation.exclude_columns[0]", "'City' is not a column of the data set (did you mean 'city'?)" },
        { new DataPreparation { ExcludeColumns = ["age", "age"] }, "preparation.exclude_columns[1]", "'age' is listed twice" },
        { new DataPreparation { IncludeColumns = ["churned"] }, "preparation.include_columns[0]", "'churned' is the label column; it is never a feature" },
        { new DataPreparation { IncludeColumns = ["age"], ExcludeColumns = ["age"] }, "preparation.exclude_columns[0]", "'age' is also in include_columns" },
        { new DataPreparation { ExcludeColumns = ["id", "age", "city", "member", "review"] }, "preparation", "leaves no feature columns" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "town" }] }, "preparation.columns[0].name", "'town' is not a column of the data set" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "" }] }, "preparation.columns[0].name", "is required" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "churned" }] }, "preparation.columns[0].name", "'churned' is the label column" },
        { new DataPreparation { ExcludeColumns = ["id"], Columns = [new ColumnPreparation { Name = "id" }] }, "preparation.columns[0].name", "'id' is not a feature (it is in exclude_columns)" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "age" }, new ColumnPreparation { Name = "age" }] }, "preparation.columns[1].name", "'age' is prepared twice (also at preparation.columns[0])" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "city", MissingValues = MissingValuePolicy.Median }] }, "preparation.columns[0].missing_values", "median does not apply to 'city', a categorical column; most_frequent, drop_row and indicator do" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "review", MissingValues = MissingValuePolicy.MostFrequent }] }, "preparation.columns[0].missing_values", "most_frequent does not apply to 'review', a text column; drop_row and indicator do" },
        { new DataPreparation { Columns = [new ColumnPreparation { Name = "age", Encoding = ColumnEncoding.Text }] }, "preparation.columns[0].encoding", "text does not apply to 'age', a numeric column" },
        { new DataPreparation { HashingBits = 25 }, "preparation.hashing_bits", "25 is out of range; expected a value from 1 to 24" },
        { new DataPreparation { HashingThreshold = 0 }, "preparation.hashing_threshold", "0 is out of range" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_choices_name_the_field_and_the_column(DataPreparation spec, string field, string reason)
    {
        var error = Assert.Throws<SpecValidationException>(() => Plan(spec));

        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mean", MissingValuePolicy.Mean)]
    [InlineData("median", MissingValuePolicy.Median)]
    [InlineData("most_frequent", MissingValuePolicy.MostFrequent)]
    [InlineData("drop_row", MissingValuePolicy.DropRow)]
    [InlineData("indicator", MissingValuePolicy.Indicator)]
    public void Missing_value_policies_round_trip_their_wire_names(string wireName, MissingValuePolicy policy)
    {
        Assert.Equal(policy, PreparationWireNames.ParseMissingValuePolicy(wireName, "f"));
        Assert.Equal(wireName, policy.ToWireName());
    }

    [Fact]
    public void Unknown_wire_names_name_the_field_and_the_choices()
    {
        Assert.Null(PreparationWireNames.ParseNormalization("", "preparation.normalization"));
        var error = Assert.Throws<SpecValidationException>(() => PreparationWireNames.ParseNormalization("zscore", "preparation.normalization"));

        Assert.Equal("preparation.normalization", error.Field);
        Assert.Equal("'zscore' is not one of none, min_max, mean_variance", error.Reason);
    }
}
