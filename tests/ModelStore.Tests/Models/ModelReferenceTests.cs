using Platform.ModelStore.Models;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Tests.Models;

public sealed class ModelReferenceTests
{
    [Theory]
    [InlineData("penguins", "penguins", null, null)]
    [InlineData("penguins@latest", "penguins", null, null)]
    [InlineData("penguins:12", "penguins", 12, null)]
    [InlineData("penguins@production", "penguins", null, "production")]
    [InlineData("models/penguins@production", "penguins", null, "production")]
    [InlineData("models/penguins:3", "penguins", 3, null)]
    [InlineData("models/models", "models", null, null)]
    [InlineData("penguins.v2_eu-1@ab-c_1", "penguins.v2_eu-1", null, "ab-c_1")]
    public void A_reference_names_a_model_and_a_number_an_alias_or_the_latest(string text, string model, int? version, string? alias)
    {
        Assert.Equal(new ModelReference(model, version, alias), ModelReference.Parse(text));
    }

    [Theory]
    [InlineData("penguins", "penguins")]
    [InlineData("models/penguins:3", "penguins:3")]
    [InlineData("penguins@production", "penguins@production")]
    public void A_reference_prints_in_its_short_form(string text, string printed)
    {
        Assert.Equal(printed, ModelReference.Parse(text).ToString());
    }

    [Theory]
    [InlineData("penguins@Production")]
    [InlineData("penguins:1.5")]
    [InlineData("penguins: 1")]
    [InlineData("penguins:99999999999")]
    [InlineData("@production")]
    [InlineData(":1")]
    [InlineData("MODELS/penguins")]
    public void Malformed_references_name_the_field(string text)
    {
        var error = Assert.Throws<InvalidArgumentException>(() => ModelReference.Parse(text, "ref"));

        Assert.Equal("ref", error.Field);
    }
}
