namespace Backup.Core.Archiving.Trees;

/// <summary>What lies below a directory: files, directories and file bytes, the directory itself not counted.</summary>
internal readonly record struct SubtreeTotals(long Files, long Directories, long Bytes)
{
    public static SubtreeTotals operator +(SubtreeTotals a, SubtreeTotals b) => new(a.Files + b.Files, a.Directories + b.Directories, a.Bytes + b.Bytes);
}
