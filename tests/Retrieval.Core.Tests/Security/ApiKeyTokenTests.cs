using Retrieval.Core.Security;

namespace Retrieval.Core.Tests.Security;

public sealed class ApiKeyTokenTests
{
    [Fact]
    public void Generate_ThenParse_GivesTheIdAndAVerifiableSecret()
    {
        var (id, token) = ApiKeyToken.Generate();

        Assert.True(ApiKeyToken.TryParse(token, out var parsedId, out var secret));
        Assert.Equal(id, parsedId.ToString());
        Assert.Equal(ApiKeyToken.Length, token.Length);
        var salt = ApiKeyHasher.NewSalt();
        Assert.True(ApiKeyHasher.Verify(salt, ApiKeyHasher.Hash(salt, secret), secret));
    }

    [Fact]
    public void Generate_Twice_GivesDifferentIdsAndSecrets()
    {
        var (firstId, first) = ApiKeyToken.Generate();
        var (secondId, second) = ApiKeyToken.Generate();

        Assert.NotEqual(firstId, secondId);
        Assert.NotEqual(first[17..], second[17..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("xyz_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("rtv_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("rtv_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("rtv_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("rtv_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryParse_NotAKey_IsFalse(string text) =>
        Assert.False(ApiKeyToken.TryParse(text, out _, out _));

    [Fact]
    public void Hash_SameSecretWithTwoSalts_Differs()
    {
        var (_, token) = ApiKeyToken.Generate();
        Assert.True(ApiKeyToken.TryParse(token, out _, out var secret));

        Assert.NotEqual(ApiKeyHasher.Hash(ApiKeyHasher.NewSalt(), secret), ApiKeyHasher.Hash(ApiKeyHasher.NewSalt(), secret));
    }
}
