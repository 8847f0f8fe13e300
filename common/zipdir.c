/*
 * Every offset and size below is a claim of the archive, checked against the
 * archive's real length before it is used; a count is checked against
 * TF_MAX_ZIP_ENTRIES before anything is allocated for it. Layouts are those of
 * PKWARE's APPNOTE.TXT (sections 4.3.7, 4.3.12, 4.3.14-16, 4.5.3), and where an
 * archive could be read two ways, the way libarchive reads it, since libarchive
 * unpacks it.
 */
#include <stdlib.h>
#include <string.h>

#include "codezip.h"
#include "xalloc.h"
#include "zipdir.h"
#include "ziptree.h"

#define EOCD_SIZE       22
#define EOCD64_LOC_SIZE 20
#define EOCD64_SIZE     56
#define CDH_SIZE        46
#define LFH_SIZE        30
#define EOCD_SEARCH     16384  /* as libarchive */
#define U32_UNKNOWN     0xffffffffu  /* "see the Zip64 field" */
#define ZIP_ENCRYPTED   0x0001

#define S_TYPE   0170000
#define S_REG    0100000
#define S_DIR    0040000
#define S_LNK    0120000
#define S_FIFO   0010000
#define S_SOCK   0140000

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Whether [off, off + n) lies within [0, limit). */
static bool within(uint64_t off, uint64_t n, uint64_t limit)
{
	return off <= limit && n <= limit - off;
}

static int damaged(struct tf_error *err, const char *what)
{
	return tf_fail(err, TF_E_INVALID_CODE, "Code package is not a valid ZIP archive: %s; make it again with a ZIP tool",
	               what);
}

/* The end of the central directory, and where the directory is. */
struct ends {
	uint64_t cd_offset, cd_size, cd_end, count;
};

/*
 * The end record must be at the end of the archive: an archive cut short has
 * none there. After it come only its comment and zero bytes (libarchive's
 * writer pads to a block; so do this platform's inline packages). libarchive
 * takes the last record signature in the last 16 KB; this takes the same one.
 */
static int find_end(const unsigned char *z, size_t len, struct ends *e, struct tf_error *err)
{
	size_t pos = 0;
	bool found = false;

	if (len < EOCD_SIZE)
		return tf_fail(err, TF_E_INVALID_CODE, "Code package is not a ZIP archive");
	size_t lowest = len > EOCD_SEARCH ? len - EOCD_SEARCH : 0;
	for (size_t i = len - EOCD_SIZE + 1; i-- > lowest;) {
		if (memcmp(z + i, "PK\005\006", 4) == 0) {
			pos = i;
			found = true;
			break;
		}
	}
	size_t tail = found ? len - pos - EOCD_SIZE : 0, comment = found ? le16(z + pos + 20) : 0;
	if (!found || comment > tail)
		return tf_fail(err, TF_E_INVALID_CODE,
		               "Code package is not a complete ZIP archive: its end-of-central-directory record is missing "
		               "(was the file cut short?); upload the whole archive");
	for (size_t i = pos + EOCD_SIZE + comment; i < len; i++)
		if (z[i] != 0)
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Code package has data after its end-of-central-directory record; upload the ZIP archive alone");
	const unsigned char *p = z + pos;
	if (le16(p + 4) != 0 || le16(p + 6) != 0 || le16(p + 8) != le16(p + 10))
		return damaged(err, "it spans several disks");
	e->count = le16(p + 10);
	e->cd_size = le32(p + 12);
	e->cd_offset = le32(p + 16);
	e->cd_end = pos;
	if (pos < EOCD64_LOC_SIZE || memcmp(p - EOCD64_LOC_SIZE, "PK\006\007", 4) != 0)
		return 0;
	/* Zip64: libarchive then takes the directory's place and size from the Zip64 record. */
	const unsigned char *loc = p - EOCD64_LOC_SIZE;
	uint64_t rec = le64(loc + 8);
	if (le32(loc + 4) != 0 || le32(loc + 16) != 1)
		return damaged(err, "it spans several disks");
	if (!within(rec, EOCD64_SIZE, pos - EOCD64_LOC_SIZE) || memcmp(z + rec, "PK\006\006", 4) != 0)
		return damaged(err, "its Zip64 end record is missing");
	const unsigned char *r = z + rec;
	uint64_t rsize = le64(r + 4);  /* libarchive ignores a record claiming more than 16 KB */
	if (rsize < EOCD64_SIZE - 12 || rsize > 16384 - 12 || rsize + 12 != pos - EOCD64_LOC_SIZE - rec)
		return damaged(err, "its Zip64 end record has the wrong size");
	if (le32(r + 16) != 0 || le32(r + 20) != 0 || le64(r + 24) != le64(r + 32))
		return damaged(err, "it spans several disks");
	e->count = le64(r + 32);
	e->cd_size = le64(r + 40);
	e->cd_offset = le64(r + 48);
	e->cd_end = rec;
	return 0;
}

/* An extra field's block with this id, or NULL; -1 when the blocks overrun the field. */
static int find_extra(const unsigned char *x, size_t n, uint16_t id, const unsigned char **data, size_t *size)
{
	*data = NULL;
	for (size_t off = 0; off < n;) {
		if (n - off < 4)
			break;  /* padding, as zipalign leaves; libarchive ignores it too */
		size_t sz = le16(x + off + 2);
		if (n - off - 4 < sz)
			return -1;
		if (le16(x + off) == id && *data == NULL) {
			*data = x + off + 4;
			*size = sz;
		}
		off += 4 + sz;
	}
	return 0;
}

/*
 * The type a Unix mode claims, when it is not one a package may hold. libarchive
 * would read a named pipe as an empty regular file, so it is refused here,
 * from whichever field of the archive claims it.
 */
static const char *bad_type(uint32_t mode)
{
	switch (mode & S_TYPE) {
	case 0: case S_REG: case S_DIR: case S_LNK:
		return NULL;
	case S_FIFO:
		return "a named pipe (FIFO)";
	case S_SOCK:
		return "a socket";
	case 0020000: case 0060000:
		return "a device";
	default:
		return "of an unknown file type";
	}
}

/*
 * The type claimed by Info-ZIP's "xl" extra field, which libarchive reads over
 * the one of the external attributes: a flags byte (and more while its top bit
 * is set), then what the flags say, the external attributes third.
 */
static int xl_type(const unsigned char *extra, size_t n, const char **what)
{
	const unsigned char *xl;
	size_t sz, off = 1;

	*what = NULL;
	if (find_extra(extra, n, 0x6c78, &xl, &sz) != 0)
		return -1;
	if (xl == NULL || sz < 1)
		return 0;
	unsigned flags = xl[0];
	for (unsigned last = flags; (last & 0x80) && off < sz; last = xl[off++])
		;
	off += (flags & 1) ? 2 : 0;
	off += (flags & 2) ? 2 : 0;
	if ((flags & 4) && off + 4 <= sz)
		*what = bad_type(le32(xl + off) >> 16);
	return 0;
}

static int refuse_type(const struct zipdir_entry *e, const char *what, struct tf_error *err)
{
	char a[ZIP_LABEL_SIZE];

	zip_label(e->name, e->name_len, a);
	return tf_fail(err, TF_E_INVALID_CODE,
	               "Entry \"%s\" is %s; a package holds only files, directories and links", a, what);
}

/* The local header of e: the same name, no other type, and data that stays before the directory. */
static int read_local(const unsigned char *z, const struct ends *ends, uint64_t csize, struct zipdir_entry *e,
                      struct tf_error *err)
{
	char a[ZIP_LABEL_SIZE];

	zip_label(e->name, e->name_len, a);
	if (!within(e->offset, LFH_SIZE, ends->cd_offset) || memcmp(z + e->offset, "PK\003\004", 4) != 0)
		return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" has no local header where the central directory says", a);
	const unsigned char *h = z + e->offset;
	size_t nlen = le16(h + 26), xlen = le16(h + 28);
	if (!within(e->offset + LFH_SIZE, nlen + xlen, ends->cd_offset))
		return damaged(err, "a local header runs into the central directory");
	if (nlen != e->name_len || memcmp(h + LFH_SIZE, e->name, nlen) != 0)
		return tf_fail(err, TF_E_INVALID_CODE,
		               "Entry \"%s\" has another name in its local header than in the central directory; make the archive again",
		               a);
	if (le16(h + 6) & ZIP_ENCRYPTED)
		return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" is encrypted; upload it unencrypted", a);
	/* libarchive names the local header's system byte "version needed"'s high byte. */
	e->dos_slashes = h[5] == 0 && memchr(e->name, '/', e->name_len) == NULL && memchr(e->name, '\\', e->name_len);
	const char *what;
	if (xl_type(h + LFH_SIZE + nlen, xlen, &what) != 0)
		return damaged(err, "a local header's extra field overruns it");
	if (what)
		return refuse_type(e, what, err);
	e->end = e->offset + LFH_SIZE + nlen + xlen;
	if (!within(e->end, csize, ends->cd_offset))
		return damaged(err, "an entry's data runs into the central directory");
	e->end += csize;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct zipdir_entry *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* One central directory header at *at, read into e; *at moves past it. */
static int read_central(const unsigned char *z, const struct ends *ends, uint64_t *at, struct zipdir_entry *e,
                        struct tf_error *err)
{
	const unsigned char *x;
	size_t xsz;
	char a[ZIP_LABEL_SIZE];

	if (!within(*at, CDH_SIZE, ends->cd_end) || memcmp(z + *at, "PK\001\002", 4) != 0)
		return damaged(err, "its central directory has fewer entries than its end record says");
	const unsigned char *h = z + *at;
	size_t nlen = le16(h + 28), xlen = le16(h + 30), clen = le16(h + 32);
	if (!within(*at + CDH_SIZE, nlen + xlen + clen, ends->cd_end))
		return damaged(err, "its central directory is cut short");
	e->name = (const char *)h + CDH_SIZE;
	e->name_len = nlen;
	if (nlen == 0)
		return damaged(err, "an entry has no name");
	zip_label(e->name, nlen, a);
	if (memchr(e->name, '\0', nlen))
		return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" has a NUL byte in its name", a);
	if (le16(h + 8) & ZIP_ENCRYPTED)
		return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" is encrypted; upload it unencrypted", a);
	/* The type is read whatever system made the entry: no system's files may claim another type. */
	const char *what = bad_type(le32(h + 38) >> 16), *xl_what;
	if (xl_type(h + CDH_SIZE + nlen, xlen, &xl_what) != 0)
		return damaged(err, "an entry's extra field overruns it");
	if (what || xl_what)
		return refuse_type(e, what ? what : xl_what, err);
	uint64_t usize = le32(h + 24), csize = le32(h + 20), offset = le32(h + 42);
	uint32_t disk = le16(h + 34);
	if (usize == U32_UNKNOWN || csize == U32_UNKNOWN || offset == U32_UNKNOWN || disk == 0xffff) {
		/* Zip64: the 64-bit values, only of the fields marked unknown, in this order. */
		if (find_extra(h + CDH_SIZE + nlen, xlen, 0x0001, &x, &xsz) != 0 || x == NULL)
			return damaged(err, "an entry's Zip64 field is missing");
		size_t off = 0;
		uint64_t *fields[] = { &usize, &csize, &offset };
		for (size_t i = 0; i < 3; i++) {
			if (*fields[i] != U32_UNKNOWN)
				continue;
			if (off + 8 > xsz)
				return damaged(err, "an entry's Zip64 field is too short");
			*fields[i] = le64(x + off);
			off += 8;
		}
		if (disk == 0xffff) {
			if (off + 4 > xsz)
				return damaged(err, "an entry's Zip64 field is too short");
			disk = le32(x + off);
		}
	}
	if (disk != 0)
		return damaged(err, "it spans several disks");
	e->offset = offset;
	*at += CDH_SIZE + nlen + xlen + clen;
	return read_local(z, ends, csize, e, err);
}

int zipdir_read(const void *zip, size_t len, struct zipdir_entry **entries, size_t *n, struct tf_error *err)
{
	const unsigned char *z = zip;
	struct zipdir_entry *list = NULL;
	struct ends ends = { 0 };
	int rc = -1;

	*entries = NULL;
	*n = 0;
	if (find_end(z, len, &ends, err) != 0)
		goto out;
	if (ends.count > TF_MAX_ZIP_ENTRIES) {
		tf_fail(err, TF_E_INVALID_CODE, "Code package has more than %d entries", TF_MAX_ZIP_ENTRIES);
		goto out;
	}
	/* Nothing before the first entry or between the directory and its end: libarchive then reads no offset corrected. */
	if (ends.cd_size > ends.cd_end || ends.cd_offset != ends.cd_end - ends.cd_size) {
		damaged(err, "its central directory is not where its end record says");
		goto out;
	}
	list = xcalloc(ends.count ? (size_t)ends.count : 1, sizeof(*list));
	uint64_t at = ends.cd_offset;
	for (size_t i = 0; i < ends.count; i++)
		if (read_central(z, &ends, &at, &list[i], err) != 0)
			goto out;
	if (at != ends.cd_end) {
		damaged(err, "its central directory has more entries than its end record says");
		goto out;
	}
	qsort(list, (size_t)ends.count, sizeof(*list), by_offset);
	for (size_t i = 0; i + 1 < ends.count; i++) {
		if (list[i].end > list[i + 1].offset) {
			char a[ZIP_LABEL_SIZE];
			zip_label(list[i + 1].name, list[i + 1].name_len, a);
			tf_fail(err, TF_E_INVALID_CODE,
			        "Entry \"%s\" overlaps the data of another entry; make the archive again with a ZIP tool", a);
			goto out;
		}
	}
	*entries = list;
	*n = (size_t)ends.count;
	list = NULL;
	rc = 0;
out:
	free(list);
	return rc;
}
