using System.Text;
using Backup.Core.Posix;

namespace Backup.Core.Tests.Posix;

public class EntryNameTests
{
    public static TheoryData<byte[]> Names => new()
    {
        "plain.txt"u8.ToArray(),
        "caf\u00e9 \U0001F600.txt"u8.ToArray(),
        new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9 },               // Latin-1
        new byte[] { 0xFF, 0xFE, 0x80 },                                  // no UTF-8 at all
        new byte[] { 0xED, 0xB2, 0x80 },                                  // the UTF-8 form of U+DC80 itself, invalid
        new byte[] { 0xF0, 0x9F, 0x98, 0x80, 0xC3 },                      // a 4-byte rune, then a cut sequence
        new byte[] { 0xC0, 0xAF },                                        // an overlong '/'
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodeThenEncode_AnyBytes_GivesThemBack(byte[] name)
    {
        var decoded = EntryName.Decode(name);

        Assert.Equal(name, EntryName.Encode(decoded));
    }

    [Fact]
    public void Decode_ValidUtf8_IsTheOrdinaryString()
    {
        Assert.Equal("caf\u00e9", EntryName.Decode("caf\u00e9"u8));
    }

    [Fact]
    public void Decode_InvalidBytes_BecomeLoneSurrogates()
    {
        Assert.Equal("caf\uDCE9", EntryName.Decode([(byte)'c', (byte)'a', (byte)'f', 0xE9]));
    }

    [Fact]
    public void Escape_DecodedString_ShowsTheRawBytes()
    {
        var decoded = EntryName.Decode([(byte)'d', (byte)'i', (byte)'r', 0xFF]);

        Assert.Equal(@"dir\xff/x", EntryName.Escape(decoded + "/x"));
    }

    [Fact]
    public void Encode_OrdinaryString_IsUtf8()
    {
        const string name = "\u00e9t\u00e9 \U0001F600";

        Assert.Equal(Encoding.UTF8.GetBytes(name), EntryName.Encode(name));
    }
}
