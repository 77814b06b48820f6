namespace Backup.Core.Storage;

/// <summary>What a store knows of one file besides its bytes (<see cref="IBlobStore.StatAsync"/>).</summary>
/// <param name="Size">Its length in bytes.</param>
/// <param name="Modified">When it was written, by the store's clock.</param>
public sealed record BlobInfo(long Size, DateTimeOffset Modified);
