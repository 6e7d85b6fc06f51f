using System.Globalization;
using Microsoft.ML.Transforms.Text;

namespace Platform.Training.Preparation;

/// <summary>
/// How a text column becomes numbers: ML.NET's <c>FeaturizeText</c> (text normalised to lower case without
/// diacritics, word unigrams and bigrams, character trigrams, L2-normalised counts) with each vocabulary capped at its
/// most frequent n-grams in the training rows. Uncapped, 6,000 mails gave about 600,000 features, and LightGBM spent
/// 9 to 16 minutes on them. Capped, they are 82,753, and linear trainers keep their quality (docs/benchmarks.md, "Text
/// classification"): smaller caps cost it (5,000 and 2,000 took the perceptron's F1 from 0.955 to 0.892).
/// </summary>
public static class TextFeaturization
{
    /// <summary>Longest word n-gram: unigrams and bigrams.</summary>
    public const int WordNgramLength = 2;

    /// <summary>Most word n-grams kept per column and per length (the most frequent in the training rows).</summary>
    public const int MaxWordNgrams = 20_000;

    /// <summary>Character n-gram length (trigrams only).</summary>
    public const int CharNgramLength = 3;

    /// <summary>Most character trigrams kept per column (the most frequent in the training rows).</summary>
    public const int MaxCharNgrams = 10_000;

    /// <summary>The <c>FeaturizeText</c> options of every text column.</summary>
    public static TextFeaturizingEstimator.Options Options() => new()
    {
        WordFeatureExtractor = new WordBagEstimator.Options
        {
            NgramLength = WordNgramLength, UseAllLengths = true, MaximumNgramsCount = [.. Enumerable.Repeat(MaxWordNgrams, WordNgramLength)],
        },
        CharFeatureExtractor = new WordBagEstimator.Options
        {
            NgramLength = CharNgramLength, UseAllLengths = false, MaximumNgramsCount = [MaxCharNgrams],
        },
    };

    /// <summary>The settings as the <c>featurize_text</c> preparation step records them.</summary>
    public static (string Key, string Value)[] StepParameters() =>
    [
        ("word_ngrams", $"1-{WordNgramLength}"),
        ("max_word_ngrams", MaxWordNgrams.ToString(CultureInfo.InvariantCulture)),
        ("char_ngrams", CharNgramLength.ToString(CultureInfo.InvariantCulture)),
        ("max_char_ngrams", MaxCharNgrams.ToString(CultureInfo.InvariantCulture)),
    ];
}
