using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using MassTransit.Serialization;
using Platform.Contracts;
using Platform.Scheduler.Messaging;

namespace Platform.Scheduler.Tests;

/// <summary>A rejection names the JSON property as the submitter wrote it, never a gRPC field or a .NET type.</summary>
public sealed class SubmissionFieldsTests
{
    [Theory]
    [InlineData("spec.label_column", "labelColumn")]
    [InlineData("spec.dataset_id", "datasetId")]
    [InlineData("request_id", "requestId")]
    [InlineData("tenant_id", "tenantId")]
    [InlineData("spec.hyperparameters.learning_rate", "hyperparameters.learning_rate")]
    [InlineData("spec.preparation.columns[2].missing_values", "preparation.columns[2].missingValues")]
    [InlineData("spec.preparation.exclude_columns[0]", "preparation.excludeColumns[0]")]
    [InlineData("spec.evaluation.feature_importance", "evaluation.featureImportance")]
    public void Api_field_names_become_the_messages_property_paths(string api, string json)
    {
        Assert.Equal(json, SubmissionFields.FromApiField(api));
    }

    [Fact]
    public void A_reason_names_the_fields_it_mentions_as_the_message_does_but_leaves_quoted_values_alone()
    {
        var reason = SubmissionFields.FromApiReason("spec.holdout_fraction",
            "spec.holdout_fraction: is set, but spec.evaluation.folds = 3 asks for cross-validation; column 'spec.x' stays");

        Assert.Equal("holdoutFraction: is set, but evaluation.folds = 3 asks for cross-validation; column 'spec.x' stays", reason);
    }

    public static TheoryData<string, string, string> Unreadable => new()
    {
        { """{"seed": "seven"}""", "seed", "seed: expected an integer from -2147483648 to 2147483647, found a string" },
        { """{"hyperparameters": {"learning_rate": 0.05}}""", "hyperparameters.learning_rate", "hyperparameters.learning_rate: expected a string, found a number" },
        { """{"hyperparameters": ["learning_rate"]}""", "hyperparameters", "hyperparameters: expected an object whose values are strings, found an array" },
        { """{"preparation": {"columns": [{"missingValues": "mean"}]}}""", "preparation.columns[0].name", "preparation.columns[0].name: is required" },
        { """{"preparation": {"excludeColumns": "island"}}""", "preparation.excludeColumns", "preparation.excludeColumns: expected an array of strings, found a string" },
        { """{"evaluation": {"stratified": "yes"}}""", "evaluation.stratified", "evaluation.stratified: expected true or false, found a string" },
        { """["not", "an", "object"]""", "body", "body: expected a JSON object, found an array" },
        { """{"seed": 7,,}""", "body", "body: not valid JSON (line 1, byte 12)" },
        { "penguins, please", "body", "body: not valid JSON (line 1, byte 1)" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void An_unreadable_body_is_described_by_json_property_and_json_type(string body, string field, string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(body);

        var error = DeserializeError(bytes);
        var (describedField, describedReason) = SubmissionFields.DescribeUnreadable(error, bytes);

        Assert.Equal(field, describedField);
        Assert.Equal(reason, describedReason);
    }

    /// <summary>The error MassTransit's raw JSON deserializer meets, with its options (case-insensitive camelCase).</summary>
    private static JsonException DeserializeError(byte[] body)
    {
        try
        {
            JsonSerializer.Deserialize<JsonElement>(body, SystemTextJsonMessageSerializer.Options).Deserialize<SubmitTrainingJob>(SystemTextJsonMessageSerializer.Options);
        }
        catch (JsonException ex)
        {
            return ex;
        }
        catch (SerializationException ex) when (ex.InnerException is JsonException json)
        {
            return json;
        }
        throw new InvalidOperationException("the body was read without error");
    }
}
