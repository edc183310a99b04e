/*
 * Stand-in stage 1 (not OSv's boot16.S): the 512-byte boot sector the BIOS loads at 0:0x7c00.
 * It reads the stage 2 kernel (kernel.c, linked to a flat binary) from LBA 128 of the boot disk,
 * where OSv keeps its lzloader, with int 13h AH=42h into STAGE2_SEG:STAGE2_OFF and jumps to it
 * with the BIOS drive number still in DL. The partition table (0x1be..0x1fd) stays zero: the
 * composer fills in slot 2.
 *
 * scripts/build assembles this with: as --32 --defsym STAGE2_SECTORS=n --defsym STAGE2_SEG=...
 */
	.code16
	.text
	.globl _start
_start:
	ljmp	$0, $init		/* some BIOSes enter at 07c0:0000 */

init:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	cld
	movb	%dl, drive
	movb	$3, tries

read:
	movw	$dap, %si
	movb	drive, %dl
	movb	$0x42, %ah
	int	$0x13
	jnc	loaded
	xorb	%ah, %ah		/* reset the disk system and try again */
	movb	drive, %dl
	int	$0x13
	decb	tries
	jnz	read

	movw	$failmsg, %si		/* give up: say so on COM1 and power off */
	movw	$0x3f8, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	movw	$0xf4, %dx
	movb	$125, %al
	outb	%al, %dx
3:	cli
	hlt
	jmp	3b

loaded:
	movb	drive, %dl
	ljmp	$STAGE2_SEG, $STAGE2_OFF

	.p2align 2
dap:	.byte	0x10, 0			/* disk address packet: size, reserved */
	.word	STAGE2_SECTORS		/* sectors to read */
	.word	STAGE2_OFF, STAGE2_SEG	/* buffer offset, segment */
	.quad	128			/* first LBA: 64 KiB into the disk, like OSv's lzloader */
drive:	.byte	0
tries:	.byte	0
failmsg:
	.asciz	"stand-in: cannot read the kernel from the boot disk\r\n"

	.org	0x1be			/* MBR partition table: left empty */
	.fill	64, 1, 0
	.byte	0x55, 0xaa
