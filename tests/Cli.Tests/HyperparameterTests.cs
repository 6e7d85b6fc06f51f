using Platform.Cli.Commands;

namespace Platform.Cli.Tests;

public sealed class HyperparameterTests
{
    [Fact]
    public void Name_value_pairs_are_read_with_the_value_kept_whole()
    {
        var errors = new List<string>();

        var parsed = Hyperparameters.Parse(["learning_rate=0.1", "expr=a=b", " leaves = 31 "], errors.Add);

        Assert.Empty(errors);
        Assert.Equal(new Dictionary<string, string> { ["learning_rate"] = "0.1", ["expr"] = "a=b", ["leaves"] = "31" }, parsed);
    }

    [Theory]
    [InlineData("learning_rate")]
    [InlineData("=0.1")]
    [InlineData("learning_rate=")]
    public void A_pair_without_a_name_or_a_value_is_an_error_that_quotes_it(string pair)
    {
        var errors = new List<string>();

        Hyperparameters.Parse([pair], errors.Add);

        Assert.Equal($"--param: '{pair}' is not name=value", Assert.Single(errors));
    }

    [Fact]
    public void A_name_given_twice_is_an_error()
    {
        var errors = new List<string>();

        Hyperparameters.Parse(["leaves=31", "leaves=63"], errors.Add);

        Assert.Equal("--param: 'leaves' is given more than once", Assert.Single(errors));
    }
}
