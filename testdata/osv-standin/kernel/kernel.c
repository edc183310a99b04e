/*
 * OSv stand-in kernel, stage 2 (test data for pkgdriver; this is NOT OSv).
 *
 * boot16.S loads this flat binary from LBA 128 (64 KiB into the disk, where OSv keeps its
 * lzloader) and jumps here in 16-bit real mode. It then does, with BIOS int 13h and COM1 only:
 *
 *   1. prints "OSv <version>" (pkgdriver's KVM probe and version checks look for "OSv v") on a
 *      line of its own;
 *   2. if MBR partition slot 2 is empty (the plain loader.img), powers off at once;
 *   3. prints "Cmdline: <command>" like OSv's loader (the command line at byte 512 of the disk,
 *      without its leading --options);
 *   4. reads the ROFS file system (OSv's format: scripts/gen-rofs-img.py, fs/rofs/rofs.hh) on
 *      partition 2, resolves each command's program path and runs it as a "stand-in program":
 *      a text file whose first line is "#!standin" and whose other lines are printed, with
 *      $0..$9 and $@ replaced, "@hang" hanging and "@exit N" powering off with status N;
 *   5. powers off through QEMU's isa-debug-exit device (port 0xf4; QEMU exits with
 *      (status << 1) | 1), halting forever if that device is missing.
 *
 * Everything (code, data, buffers, stack) lives in one 64 KiB real-mode segment, see kernel.ld;
 * the disk is read through a small sector cache, so files and metadata of any size stream
 * through it. Built by scripts/build with gcc -m16 -ffreestanding; no libc, no libgcc.
 */
/* The banner with the tree's version, in version.c: like OSv's version.cc, the one file compiled
 * again when only the version changed. */
extern const char standin_banner[];

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

#define SECTOR 512
#define CMDLINE_LBA 1
#define CMDLINE_SECTORS 63 /* 31.5 KiB, like OSv's boot16.S */
#define CACHE_SECTORS 8	   /* disk reads go through this many sectors at a time */
#define PATH_LEN 1024	   /* longest path, also after symlink expansion */
#define MAX_ARGS 256	   /* words per command, program included */
#define MAX_DEPTH 64	   /* directory nesting while resolving a path */
#define MAX_LINKS 16	   /* symlinks followed while resolving one path */
#define HEADER_LEN 64	   /* longest first line that can still be "#!standin" */
#define DIRECTIVE_LEN 24   /* longest line that can still be an @directive */

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

/* Exit statuses (QEMU's exit code is status * 2 + 1). */
#define ST_OK 0
#define ST_ERROR 125	  /* disk or file system trouble */
#define ST_NOT_PROGRAM 126 /* the path is not a stand-in program */
#define ST_NOT_FOUND 127   /* the path does not exist */

#define ROFS_MAGIC 0xDEADBEAD
#define S_IFMT 0xf000
#define S_IFDIR 0x4000
#define S_IFREG 0x8000
#define S_IFLNK 0xa000

/* Entry from boot16.S: CS = STAGE2_SEG, DL = BIOS drive. Set up the other segments and the
 * stack, clear .bss (it is not in the flat binary), then kmain(drive). */
__asm__(
	"	.section .text.start,\"ax\"\n"
	"	.globl _start\n"
	"_start:\n"
	"	cli\n"
	"	movw %cs, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %ss\n"
	"	movl $__stack_top, %esp\n"
	"	sti\n"
	"	cld\n"
	"	movzbl %dl, %edx\n"
	"	movw $__bss_start, %di\n"
	"	movw $__bss_end, %cx\n"
	"	subw %di, %cx\n"
	"	xorb %al, %al\n"
	"	rep stosb\n"
	"	pushl %edx\n"
	"	call kmain\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.previous\n");

/* gcc may turn struct copies and loops into calls to these even when freestanding. */
void *memcpy(void *dst, const void *src, u32 n)
{
	u8 *d = dst;
	const u8 *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, u32 n)
{
	u8 *d = dst;
	while (n--)
		*d++ = (u8)c;
	return dst;
}

static int mem_eq(const char *a, const char *b, u32 n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

static u32 str_len(const char *s)
{
	u32 n = 0;
	while (s[n])
		n++;
	return n;
}

/* ---- ports, console, power ---- */

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch: 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put_char(char c)
{
	/* Wait (boundedly: a missing UART must not hang us) for room in the transmitter. */
	for (u32 i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_dec(u32 v)
{
	char buf[11];
	int i = sizeof(buf) - 1;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(buf + i);
}

/* SeaBIOS's serial console (used when the VM has no display) holds back the last character it
 * printed ("Booting from Hard Disk..." ends with one) and sends it, with the line end, from its
 * timer interrupt: in the middle of our output. Scrolling a one-character window with AL = 0
 * makes it flush at once and changes nothing else (with a VGA BIOS it blanks that character). */
static void bios_console_flush(void)
{
	__asm__ volatile(
		"pushal\n\t"
		"movw $0x0600, %%ax\n\t"
		"movb $0x07, %%bh\n\t"
		"xorw %%cx, %%cx\n\t"
		"xorw %%dx, %%dx\n\t"
		"int $0x10\n\t"
		"popal\n\t"
		"cld"
		:
		:
		: "memory", "cc");
}

static void __attribute__((noreturn)) power_off(u8 status)
{
	outb(DEBUG_EXIT_PORT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void __attribute__((noreturn)) hang(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void __attribute__((noreturn)) die(const char *what)
{
	put_str("stand-in: ");
	put_str(what);
	put_str("\r\n");
	power_off(ST_ERROR);
}

static void __attribute__((noreturn)) die_at(const char *what, u32 lba)
{
	put_str("stand-in: ");
	put_str(what);
	put_dec(lba);
	put_str("\r\n");
	power_off(ST_ERROR);
}

/* ---- disk: int 13h AH=42h (extended read) into buffers of this segment ---- */

struct dap {
	u8 size, reserved;
	u16 count, offset, segment;
	u32 lba_lo, lba_hi;
} __attribute__((packed));

/* Not static: the int 13h wrapper names them directly (with pushal in effect, compiler-chosen
 * stack operands would point to the wrong place). */
struct dap standin_dap;
u8 standin_drive, standin_cf, standin_ah;

static int bios_read(u32 lba, u16 count, void *buf)
{
	standin_dap.size = sizeof(standin_dap);
	standin_dap.reserved = 0;
	standin_dap.count = count;
	standin_dap.offset = (u16)(u32)buf;
	standin_dap.segment = STAGE2_SEG;
	standin_dap.lba_lo = lba;
	standin_dap.lba_hi = 0;
	__asm__ volatile(
		"pushal\n\t"
		"pushw %%ds\n\t"
		"pushw %%es\n\t"
		"movw $standin_dap, %%si\n\t"
		"movb standin_drive, %%dl\n\t"
		"movb $0x42, %%ah\n\t"
		"int $0x13\n\t"
		"popw %%es\n\t"
		"popw %%ds\n\t"
		"setc standin_cf\n\t"
		"movb %%ah, standin_ah\n\t"
		"popal\n\t"
		"cld"
		:
		:
		: "memory", "cc");
	return !standin_cf;
}

static void bios_reset(void)
{
	__asm__ volatile(
		"pushal\n\t"
		"movb standin_drive, %%dl\n\t"
		"xorb %%ah, %%ah\n\t"
		"int $0x13\n\t"
		"popal\n\t"
		"cld"
		:
		:
		: "memory", "cc");
}

static void disk_read(u32 lba, u16 count, void *buf)
{
	for (int try = 0; try < 3; try++) {
		if (bios_read(lba, count, buf))
			return;
		bios_reset();
	}
	die_at("disk read error at LBA ", lba);
}

/* A window of CACHE_SECTORS sectors, always inside partition 2 (reads past the end of the
 * disk would fail), through which every ROFS byte is read. */
static u8 cache[CACHE_SECTORS * SECTOR];
static u32 cache_lba, cache_count;
static u32 part_lba, part_end;

/* Returns the byte at offset off from sector lba (lba + off / 512 must lie in partition 2). */
static u8 read_byte(u32 lba, u32 off)
{
	u32 s = lba + (off >> 9);
	if (s < lba || s < cache_lba || s - cache_lba >= cache_count) {
		if (s < lba || s < part_lba || s >= part_end)
			die_at("ROFS read outside partition 2, at LBA ", s);
		u32 n = part_end - s;
		if (n > CACHE_SECTORS)
			n = CACHE_SECTORS;
		disk_read(s, (u16)n, cache);
		cache_lba = s;
		cache_count = n;
	}
	return cache[((s - cache_lba) << 9) | (off & (SECTOR - 1))];
}

static u32 read_u16(u32 lba, u32 off)
{
	return read_byte(lba, off) | (u32)read_byte(lba, off + 1) << 8;
}

static u32 read_u32(u32 lba, u32 off)
{
	return read_u16(lba, off) | read_u16(lba, off + 2) << 16;
}

/* ROFS stores u64s; everything this kernel handles fits 32 bits. */
static u32 read_u64(u32 lba, u32 off)
{
	if (read_u32(lba, off + 4))
		die("ROFS value too large for the stand-in");
	return read_u32(lba, off);
}

/* ---- ROFS (superblock, then file data, then dir entries, symlinks, inodes) ---- */

static struct {
	u32 meta_lba, meta_len;		   /* where the metadata area is, its size in bytes */
	u32 ndirents, nsymlinks, ninodes;  /* table sizes from the superblock */
	u32 symlinks_pos, inodes_pos;	   /* table offsets in the metadata area */
} fs;

struct inode {
	u32 mode, data, count; /* type bits; first block / first entry / symlink index; size / entries */
};

static void mount_rofs(void)
{
	if (read_u32(part_lba, 0) != ROFS_MAGIC || read_u32(part_lba, 4) != 0)
		die("partition 2 holds no ROFS file system (bad magic)");
	if (read_u64(part_lba, 8) != 1 || read_u64(part_lba, 16) != SECTOR)
		die("unsupported ROFS version or block size");
	u32 first = read_u64(part_lba, 24), blocks = read_u64(part_lba, 32);
	u32 nblocks = part_end - part_lba;
	if (first == 0 || first > nblocks || blocks > nblocks - first || blocks >= 0x800000)
		die("ROFS metadata lies outside partition 2");
	fs.meta_lba = part_lba + first;
	fs.meta_len = blocks * SECTOR;
	fs.ndirents = read_u64(part_lba, 40);
	fs.nsymlinks = read_u64(part_lba, 48);
	fs.ninodes = read_u64(part_lba, 56);

	/* Walk the variable-length tables once, to find where the inodes start and to check that
	 * every entry lies inside the metadata area (later walks then need no checks). */
	u32 pos = 0;
	for (u32 i = 0; i < fs.ndirents; i++) {
		if (pos > fs.meta_len || fs.meta_len - pos < 10)
			die("ROFS directory entries overrun the metadata");
		pos += 10 + read_u16(fs.meta_lba, pos + 8);
	}
	fs.symlinks_pos = pos;
	for (u32 i = 0; i < fs.nsymlinks; i++) {
		if (pos > fs.meta_len || fs.meta_len - pos < 2)
			die("ROFS symlinks overrun the metadata");
		pos += 2 + read_u16(fs.meta_lba, pos);
	}
	fs.inodes_pos = pos;
	if (pos > fs.meta_len || fs.ninodes == 0 || fs.ninodes > (fs.meta_len - pos) / 32)
		die("ROFS inodes overrun the metadata");
}

static void get_inode(u32 no, struct inode *in)
{
	if (no == 0 || no > fs.ninodes)
		die("ROFS inode number out of range");
	u32 p = fs.inodes_pos + (no - 1) * 32;
	in->mode = read_u64(fs.meta_lba, p) & S_IFMT;
	in->data = read_u64(fs.meta_lba, p + 16);
	in->count = read_u64(fs.meta_lba, p + 24);
}

/* Offset of directory entry idx (entries are variable-length: u64 inode, u16 length, name). */
static u32 dirent_pos(u32 idx)
{
	u32 pos = 0;
	while (idx--)
		pos += 10 + read_u16(fs.meta_lba, pos + 8);
	return pos;
}

/* Returns the inode number of name[0..len) in directory dir, or 0 if it has no such entry. */
static u32 dir_lookup(const struct inode *dir, const char *name, u32 len)
{
	if (dir->data > fs.ndirents || dir->count > fs.ndirents - dir->data)
		die("ROFS directory entries out of range");
	u32 pos = dirent_pos(dir->data);
	for (u32 i = 0; i < dir->count; i++) {
		u32 nlen = read_u16(fs.meta_lba, pos + 8);
		if (nlen == len) {
			u32 j = 0;
			while (j < len && read_byte(fs.meta_lba, pos + 10 + j) == (u8)name[j])
				j++;
			if (j == len)
				return read_u64(fs.meta_lba, pos);
		}
		pos += 10 + nlen;
	}
	return 0;
}

/* Copies symlink idx's target into buf (NUL-terminated); returns its length, or -1 if it does
 * not fit in size bytes. */
static int read_symlink(u32 idx, char *buf, u32 size)
{
	if (idx >= fs.nsymlinks)
		die("ROFS symlink index out of range");
	u32 pos = fs.symlinks_pos;
	while (idx--)
		pos += 2 + read_u16(fs.meta_lba, pos);
	u32 len = read_u16(fs.meta_lba, pos);
	if (len >= size)
		return -1;
	for (u32 i = 0; i < len; i++)
		buf[i] = (char)read_byte(fs.meta_lba, pos + 2 + i);
	buf[len] = 0;
	return (int)len;
}

static char path_buf[2][PATH_LEN];

/* Resolves path (relative paths start at /, OSv's default working directory) component by
 * component, following symlinks. Returns the inode number, or 0 if there is no such file. */
static u32 resolve(const char *path, struct inode *out)
{
	u32 dirs[MAX_DEPTH]; /* dirs[depth] is the current directory; dirs[0] the root (inode 1) */
	u32 depth = 0, links = 0;
	int cur = 0;
	u32 plen = str_len(path);
	if (plen >= PATH_LEN)
		return 0;
	memcpy(path_buf[cur], path, plen + 1);
	char *p = path_buf[cur];
	dirs[0] = 1;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) {
			get_inode(dirs[depth], out);
			return dirs[depth];
		}
		char *name = p;
		while (*p && *p != '/')
			p++;
		u32 len = (u32)(p - name);
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			if (depth)
				depth--;
			continue;
		}
		struct inode dir, in;
		get_inode(dirs[depth], &dir);
		u32 no = dir_lookup(&dir, name, len);
		if (!no)
			return 0;
		get_inode(no, &in);
		if (in.mode == S_IFDIR) {
			if (++depth >= MAX_DEPTH)
				return 0;
			dirs[depth] = no;
			continue;
		}
		if (in.mode == S_IFLNK) {
			/* Continue with target + rest of the path, from / or from this directory. */
			char *next = path_buf[!cur];
			int tlen = read_symlink(in.data, next, PATH_LEN);
			u32 rlen = str_len(p);
			if (++links > MAX_LINKS || tlen < 0 || (u32)tlen + rlen >= PATH_LEN)
				return 0;
			memcpy(next + tlen, p, rlen + 1);
			if (next[0] == '/')
				depth = 0;
			cur = !cur;
			p = next;
			continue;
		}
		if (*p) /* "file/..." */
			return 0;
		*out = in;
		return no;
	}
}

/* ---- running a stand-in program ---- */

static char **run_argv;
static u32 run_argc;
static int pending_dollar;

/* Prints one byte of a program line, replacing $0..$9 and $@. */
static void emit(char c)
{
	if (pending_dollar) {
		pending_dollar = 0;
		if (c >= '0' && c <= '9') {
			u32 i = (u32)(c - '0');
			if (i < run_argc)
				put_str(run_argv[i]);
			return;
		}
		if (c == '@') {
			for (u32 i = 1; i < run_argc; i++) {
				if (i > 1)
					put_char(' ');
				put_str(run_argv[i]);
			}
			return;
		}
		put_char('$');
	}
	if (c == '$')
		pending_dollar = 1;
	else if (c != '\r') /* line ends are written as CRLF below */
		put_char(c);
}

static void end_line(void)
{
	if (pending_dollar)
		put_char('$');
	pending_dollar = 0;
	put_str("\r\n");
}

/* Acts on line[0..len) if it is "@hang" or "@exit [N]" (N in 0..255, trailing blanks allowed);
 * returns only if it is not a directive. */
static void directive(const char *line, u32 len)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	if (len == 5 && mem_eq(line, "@hang", 5))
		hang();
	if (len < 5 || !mem_eq(line, "@exit", 5))
		return;
	u32 i = 5, n = 0, digits = 0;
	if (i < len && line[i] != ' ' && line[i] != '\t')
		return;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++, digits++)
		n = n * 10 + (u32)(line[i] - '0');
	if (i != len || digits > 3 || n > 255)
		return;
	power_off((u8)n);
}

static void __attribute__((noreturn)) fail(const char *path, const char *why, u8 status)
{
	put_str("stand-in: ");
	put_str(path);
	put_str(why);
	power_off(status);
}

static void run(char **argv, u32 argc)
{
	struct inode in;
	if (!resolve(argv[0], &in))
		fail(argv[0], ": no such file\r\n", ST_NOT_FOUND);
	if (in.mode != S_IFREG)
		fail(argv[0], ": not a stand-in program\r\n", ST_NOT_PROGRAM);
	u32 nblocks = part_end - part_lba, size = in.count;
	if (in.data == 0 || in.data >= nblocks || ((size + SECTOR - 1) >> 9) > nblocks - in.data ||
	    size > 0xfffffe00)
		die("ROFS file data lies outside partition 2");
	u32 lba = part_lba + in.data, off = 0;

	/* The first line must be "#!standin" (trailing blanks and CR allowed). */
	char head[HEADER_LEN];
	u32 hlen = 0;
	while (off < size) {
		char c = (char)read_byte(lba, off++);
		if (c == '\n')
			break;
		if (hlen == HEADER_LEN)
			fail(argv[0], ": not a stand-in program\r\n", ST_NOT_PROGRAM);
		head[hlen++] = c;
	}
	while (hlen && (head[hlen - 1] == ' ' || head[hlen - 1] == '\t' || head[hlen - 1] == '\r'))
		hlen--;
	if (hlen != 9 || !mem_eq(head, "#!standin", 9))
		fail(argv[0], ": not a stand-in program\r\n", ST_NOT_PROGRAM);

	/* Stream the other lines. A line starting with '@' is held back (up to DIRECTIVE_LEN
	 * bytes) until it is known not to be a directive. */
	char held[DIRECTIVE_LEN];
	u32 nheld = 0;
	int line_start = 1, partial = 0;
	run_argv = argv;
	run_argc = argc;
	pending_dollar = 0;
	while (off < size) {
		char c = (char)read_byte(lba, off++);
		if (c == '\n') {
			if (line_start)
				directive(held, nheld);
			for (u32 i = 0; i < nheld; i++)
				emit(held[i]);
			end_line();
			nheld = 0;
			line_start = 1;
			partial = 0;
			continue;
		}
		partial = 1;
		if (line_start) {
			if (nheld < DIRECTIVE_LEN && (nheld || c == '@')) {
				held[nheld++] = c;
				continue;
			}
			for (u32 i = 0; i < nheld; i++)
				emit(held[i]);
			nheld = 0;
			line_start = 0;
		}
		emit(c);
	}
	if (partial) { /* last line without a newline */
		if (line_start)
			directive(held, nheld);
		for (u32 i = 0; i < nheld; i++)
			emit(held[i]);
		end_line();
	}
}

/* ---- command line ---- */

static char cmdline[CMDLINE_SECTORS * SECTOR + 1];
static char *cmd_pos;
static int cmd_end_pending;

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits off the next word of the current command in place (quotes '...' and "..." group,
 * backslash escapes one character); returns 0 at the end of the command, which is a ';' or the
 * end of the line. */
static char *next_word(void)
{
	if (cmd_end_pending) {
		cmd_end_pending = 0;
		return 0;
	}
	while (is_blank(*cmd_pos))
		cmd_pos++;
	if (!*cmd_pos)
		return 0;
	if (*cmd_pos == ';') {
		cmd_pos++;
		return 0;
	}
	char *word = cmd_pos, *w = cmd_pos, quote = 0;
	for (;;) {
		char c = *cmd_pos;
		if (!c)
			break;
		if (quote) {
			cmd_pos++;
			if (c == quote)
				quote = 0;
			else
				*w++ = c;
			continue;
		}
		if (is_blank(c) || c == ';')
			break;
		cmd_pos++;
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '\\' && *cmd_pos)
			*w++ = *cmd_pos++;
		else
			*w++ = c;
	}
	char t = *cmd_pos; /* w <= cmd_pos: terminating the word may overwrite t, so read it first */
	*w = 0;
	if (t == ';')
		cmd_end_pending = 1;
	if (t)
		cmd_pos++;
	return word;
}

static char *cmd_argv[MAX_ARGS];

/* ---- environment: --env=NAME=VALUE sets, --env=NAME?=VALUE sets unless already set ---- */

#define MAX_ENV 32
static char *env_name[MAX_ENV], *env_value[MAX_ENV];
static u32 env_count;

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static char *env_get(const char *name)
{
	for (u32 i = 0; i < env_count; i++)
		if (str_eq(env_name[i], name))
			return env_value[i];
	return 0;
}

/* def is NAME=VALUE or NAME?=VALUE, NUL-terminated in place. */
static void env_option(char *def)
{
	char *eq = def;
	while (*eq && *eq != '=')
		eq++;
	if (!*eq || eq == def)
		return;
	int weak = eq[-1] == '?';
	*(weak ? eq - 1 : eq) = 0;
	char *value = eq + 1;
	for (u32 i = 0; i < env_count; i++) {
		if (str_eq(env_name[i], def)) {
			if (!weak)
				env_value[i] = value;
			return;
		}
	}
	if (env_count == MAX_ENV)
		die("too many --env options");
	env_name[env_count] = def;
	env_value[env_count++] = value;
}

void __attribute__((noreturn, used)) kmain(u32 drive)
{
	standin_drive = (u8)drive;
	bios_console_flush();
	serial_init();
	put_str(standin_banner);

	/* Partition 2 of the MBR holds the root file system; the bare loader.img has none. */
	disk_read(0, 1, cache);
	const u8 *slot = cache + 0x1ce;
	u32 type = slot[4];
	u32 start = slot[8] | (u32)slot[9] << 8 | (u32)slot[10] << 16 | (u32)slot[11] << 24;
	u32 count = slot[12] | (u32)slot[13] << 8 | (u32)slot[14] << 16 | (u32)slot[15] << 24;
	if (cache[510] != 0x55 || cache[511] != 0xaa || type == 0 || start == 0 || count == 0)
		power_off(ST_OK);
	if (start + count < start)
		die("partition 2 runs past the end of the disk");
	part_lba = start;
	part_end = start + count;

	disk_read(CMDLINE_LBA, CMDLINE_SECTORS, cmdline);
	cmdline[sizeof(cmdline) - 1] = 0;

	/* Options (--rootfs=rofs, --verbose, ...) come first; OSv prints what follows them. */
	char *p = cmdline;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (p[0] != '-' || p[1] != '-')
			break;
		char *opt = p;
		while (*p && !is_blank(*p))
			p++;
		if (mem_eq(opt, "--env=", 6)) {
			if (*p)
				*p++ = 0;
			env_option(opt + 6);
		}
	}
	u32 end = str_len(p);
	while (end && is_blank(p[end - 1]))
		p[--end] = 0;
	put_str("Cmdline: ");
	put_str(p);
	put_str("\r\n");

	mount_rofs();

	/* Commands separated by ';' run one after the other, as in OSv. */
	cmd_pos = p;
	for (;;) {
		u32 argc = 0;
		char *word;
		while ((word = next_word())) {
			if (argc == MAX_ARGS)
				die("too many arguments");
			cmd_argv[argc++] = word;
		}
		/* A word $NAME is replaced by the variable's value, as OSv does at boot. */
		for (u32 i = 0; i < argc; i++) {
			char *v = cmd_argv[i][0] == '$' ? env_get(cmd_argv[i] + 1) : 0;
			if (v)
				cmd_argv[i] = v;
		}
		if (argc)
			run(cmd_argv, argc);
		if (!*cmd_pos)
			break;
	}
	power_off(ST_OK);
}
