using System.Globalization;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Tokenization;

public sealed class CodePointViewTests
{
    [Fact]
    public void Every_supplementary_code_point_stands_in_as_one_character_of_its_own_category()
    {
        var categories = Enumerable.Range(0x10000, 0x110000 - 0x10000)
            .Select(CharUnicodeInfo.GetUnicodeCategory).Distinct().ToList();
        Assert.True(categories.Count > 15, $"only {categories.Count} categories above the BMP");
        Assert.All(categories, c => Assert.Equal(c, CharUnicodeInfo.GetUnicodeCategory(CodePointView.StandIn(c))));
    }

    [Fact]
    public void Positions_in_the_view_map_back_to_the_original_string()
    {
        const string text = "a😁b𝐀\uD800c";   // emoji, math letter, and a lone surrogate that stays as it is
        var view = CodePointView.Of(text);
        Assert.Equal(6, view.Text.Length);
        Assert.Equal([0, 1, 3, 4, 6, 7, 8], Enumerable.Range(0, view.Text.Length + 1).Select(view.ToOriginal));
        const string plain = "ab\uD800c";   // no pair: the text itself, no copy
        Assert.Same(plain, CodePointView.Of(plain).Text);
    }
}
