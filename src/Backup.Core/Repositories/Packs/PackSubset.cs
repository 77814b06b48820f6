using System.Globalization;

namespace Backup.Core.Repositories.Packs;

/// <summary>
/// Which packs a check reads whole, as restic's <c>--read-data-subset</c> chooses them: none, all, a share chosen at
/// random afresh at each check (<c>10%</c>), packs chosen at random up to an amount of bytes (<c>500M</c>), or group
/// <c>n</c> of <c>t</c> (<c>2/5</c>), the packs split by id so that the groups 1 to t cover every pack exactly once.
/// A share or an amount above zero reads at least one pack. Immutable.
/// </summary>
public sealed class PackSubset
{
    private enum Form { None, All, Share, Bytes, Group }

    private readonly Form _form;
    private readonly double _share;
    private readonly long _bytes;
    private readonly int _group;
    private readonly int _groups;

    private PackSubset(Form form, double share = 0, long bytes = 0, int group = 0, int groups = 0) =>
        (_form, _share, _bytes, _group, _groups) = (form, share, bytes, group, groups);

    /// <summary>Reads no pack.</summary>
    public static PackSubset None { get; } = new(Form.None);

    /// <summary>Reads every pack.</summary>
    public static PackSubset All { get; } = new(Form.All);

    /// <summary>At least <paramref name="fraction"/> of the packs (rounded up), chosen at random; 1 is <see cref="All"/>.</summary>
    public static PackSubset Share(double fraction) =>
        fraction is > 0 and <= 1 ? new(Form.Share, share: fraction) : throw new ArgumentOutOfRangeException(nameof(fraction));

    /// <summary>Packs chosen at random until they hold at least <paramref name="bytes"/> (or all are chosen).</summary>
    public static PackSubset Bytes(long bytes) => bytes > 0 ? new(Form.Bytes, bytes: bytes) : throw new ArgumentOutOfRangeException(nameof(bytes));

    /// <summary>Group <paramref name="group"/> of <paramref name="groups"/> (from 1): the packs whose id, as a number, is <c>group - 1</c> modulo <paramref name="groups"/>.</summary>
    public static PackSubset Group(int group, int groups) => groups >= 1 && group >= 1 && group <= groups
        ? new(Form.Group, group: group, groups: groups)
        : throw new ArgumentOutOfRangeException(nameof(group));

    /// <summary>
    /// Parses <c>10%</c> or <c>2.5%</c> (above 0, at most 100), <c>n/t</c> (1 ≤ n ≤ t), or an amount <c>500K</c>,
    /// <c>500M</c>, <c>2G</c>, <c>1T</c> (binary units). Throws <see cref="FormatException"/> saying what is accepted.
    /// </summary>
    public static PackSubset Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.EndsWith('%') && double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent)
            && percent > 0 && percent <= 100)
        {
            return percent == 100 ? All : Share(percent / 100);
        }
        if (t.Split('/') is [var n, var of] && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            && int.TryParse(of, NumberStyles.None, CultureInfo.InvariantCulture, out var groups) && groups >= 1 && group >= 1 && group <= groups)
        {
            return Group(group, groups);
        }
        var unit = t.Length > 1 ? char.ToUpperInvariant(t[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 0 } : 0;
        if (unit > 0 && double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            && amount > 0 && amount * unit < long.MaxValue)
        {
            return Bytes(Math.Max(1, (long)(amount * unit)));
        }
        throw new FormatException($"'{text}' is not a subset: use a percentage (10%), a group n/t (1/5), or an amount of data (500M, 2G)");
    }

    /// <summary>
    /// The packs to read, by name, sorted, out of <paramref name="packs"/> (name and size); <paramref name="random"/>
    /// chooses for a share or an amount.
    /// </summary>
    public IReadOnlyList<string> Choose(IReadOnlyDictionary<string, long> packs, Random random)
    {
        ArgumentNullException.ThrowIfNull(packs);
        ArgumentNullException.ThrowIfNull(random);
        var names = packs.Keys.Order(StringComparer.Ordinal).ToArray();
        switch (_form)
        {
            case Form.None:
                return [];
            case Form.All:
                return names;
            case Form.Group:
                return [.. names.Where(name => GroupOf(name) == _group - 1)];
        }
        random.Shuffle(names);
        if (_form == Form.Share)
        {
            return [.. names.Take((int)Math.Ceiling(names.Length * _share)).Order(StringComparer.Ordinal)];
        }
        var chosen = new List<string>();
        long total = 0;
        foreach (var name in names.TakeWhile(_ => total < _bytes))
        {
            chosen.Add(name);
            total += packs[name];
        }
        return [.. chosen.Order(StringComparer.Ordinal)];
    }

    /// <summary>What was asked, for a report: "all", "10% at random", "group 2 of 5", "500.0 MiB at random".</summary>
    public override string ToString() => _form switch
    {
        Form.None => "none",
        Form.All => "all",
        Form.Share => string.Create(CultureInfo.InvariantCulture, $"{_share * 100:0.##}% at random"),
        Form.Bytes => string.Create(CultureInfo.InvariantCulture, $"{_bytes / (double)(1 << 20):0.0} MiB at random"),
        _ => string.Create(CultureInfo.InvariantCulture, $"group {_group} of {_groups}"),
    };

    // The first 8 hex digits of a pack's name (the SHA-256 of its bytes) as a number: uniform, and fixed for the pack.
    private int GroupOf(string name) => (int)(uint.Parse(name.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) % (uint)_groups);
}
