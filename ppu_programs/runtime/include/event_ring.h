/* The FPGA event ring (bss2emu extension, protocol/event_ring.py, docs/ppu.md): while enabled by
 * the host, the FPGA appends every spike it injects and every chip spike routed to it to a ring
 * buffer in external memory. A PPU program polls it:
 *
 *     uint32_t ring = PPU_EXTMEM_BASE + base;           // base: the host's ring base register
 *     event_ring_entry e;
 *     while (event_ring_pop(ring, &e))
 *         handle(e.systime, e.label, e.flags & EVENT_RING_FLAG_CHIP);
 *
 * Reading the header at PPU time t shows exactly the events of chip ticks < t (the emulator
 * brings the network up to t first). Entries below write_index are complete; advance
 * read_index to free them. All words are big-endian, like everything on the PPU.
 *
 *   header   offset  content
 *            0x0     write_index: entries ever written (FPGA; wraps mod 2^32)
 *            0x4     read_index: entries consumed (PPU; the FPGA only reads it)
 *            0x8     overflow_count: events dropped because the ring was full
 *            0xC     capacity: number of entries
 *   entry k at 0x10 + 8 * (k % capacity):
 *            0x0     u32 FPGA systime bits 31..0 (8 ns ticks, the time the host sees)
 *            0x4     u16 event label
 *            0x6     u16 flags: bit 0 set = chip spike routed to the FPGA, clear = injected
 */
#ifndef PPU_EVENT_RING_H
#define PPU_EVENT_RING_H

#include <stdint.h>

#define EVENT_RING_WRITE_INDEX 0x0
#define EVENT_RING_READ_INDEX 0x4
#define EVENT_RING_OVERFLOW_COUNT 0x8
#define EVENT_RING_CAPACITY 0xC
#define EVENT_RING_HEADER_BYTES 0x10
#define EVENT_RING_ENTRY_BYTES 0x8
#define EVENT_RING_ENTRY_SYSTIME 0x0
#define EVENT_RING_ENTRY_LABEL 0x4
#define EVENT_RING_ENTRY_FLAGS 0x6
#define EVENT_RING_FLAG_CHIP 0x1
#define EVENT_RING_ALIGNMENT 0x10

/* One entry as it lies in memory (big-endian fields, no padding). */
typedef struct {
    uint32_t systime;
    uint16_t label;
    uint16_t flags;
} event_ring_entry;

/* Header word at byte offset `offset` of the ring whose header is at data address `ring`. */
static inline volatile uint32_t *event_ring_word(uint32_t ring, uint32_t offset)
{
    return (volatile uint32_t *)(ring + offset);
}

/* Entries written and not yet consumed (write_index - read_index). */
static inline uint32_t event_ring_available(uint32_t ring)
{
    return *event_ring_word(ring, EVENT_RING_WRITE_INDEX)
           - *event_ring_word(ring, EVENT_RING_READ_INDEX);
}

/* The entry with index `index` (valid while read_index <= index < write_index). */
static inline event_ring_entry event_ring_entry_at(uint32_t ring, uint32_t index)
{
    uint32_t capacity = *event_ring_word(ring, EVENT_RING_CAPACITY);
    const volatile event_ring_entry *slot = (const volatile event_ring_entry *)(
        ring + EVENT_RING_HEADER_BYTES + EVENT_RING_ENTRY_BYTES * (index % capacity));
    event_ring_entry e = {slot->systime, slot->label, slot->flags};
    return e;
}

/* Mark `count` entries consumed: their slots are free for the FPGA again. */
static inline void event_ring_advance(uint32_t ring, uint32_t count)
{
    *event_ring_word(ring, EVENT_RING_READ_INDEX) += count;
}

/* Take the oldest unconsumed entry into *out: 1, or 0 when the ring is empty. */
static inline int event_ring_pop(uint32_t ring, event_ring_entry *out)
{
    uint32_t read = *event_ring_word(ring, EVENT_RING_READ_INDEX);
    if (*event_ring_word(ring, EVENT_RING_WRITE_INDEX) == read)
        return 0;
    *out = event_ring_entry_at(ring, read);
    *event_ring_word(ring, EVENT_RING_READ_INDEX) = read + 1;
    return 1;
}

#endif
