using System.CommandLine;
using System.CommandLine.Parsing;

namespace Platform.Cli.Commands;

/// <summary>The repeatable <c>--param name=value</c> option.</summary>
public static class Hyperparameters
{
    public static Option<IReadOnlyDictionary<string, string>> CreateOption() => new("--param", "-p")
    {
        Description = "Trainer hyperparameter as name=value; repeat for more (see 'trainers list')",
        HelpName = "name=value",
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => Parse(result.Tokens.Select(token => token.Value), result.AddError),
        DefaultValueFactory = _ => new Dictionary<string, string>(),
    };

    /// <summary>
    /// Reads <c>name=value</c> pairs (the value may itself contain '='). Each malformed or repeated pair is
    /// reported through <paramref name="error"/>; the pairs that were well formed are returned.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> pairs, Action<string> error)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(error);
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            var name = separator < 0 ? "" : pair[..separator].Trim();
            var value = separator < 0 ? "" : pair[(separator + 1)..].Trim();
            if (name.Length == 0 || value.Length == 0)
                error($"--param: '{pair}' is not name=value");
            else if (!parsed.TryAdd(name, value))
                error($"--param: '{name}' is given more than once");
        }
        return parsed;
    }
}
