namespace Backup.Core.Archiving.Zip;

/// <summary>What a zip entry keeps of a file besides its name and data: the full Unix mode and the mtime in nanoseconds.</summary>
internal readonly record struct ZipEntryMetadata(uint Mode, long MtimeNs);
