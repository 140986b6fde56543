"""Bus-level fakes: an SMBus that routes to modelled chips, an MCP3008 on mock SPI, fake time."""

from __future__ import annotations

import errno

from gpiozero.pins.mock import MockSPIDevice

EREMOTEIO = errno.EREMOTEIO


class FakeTime:
    """A sleep() that only advances a counter, so chip timing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeBus:
    """An smbus2.SMBus look-alike: chips by address; absent ones NACK (EREMOTEIO)."""

    def __init__(self, *chips: FakeChip) -> None:
        self.chips = {c.address: c for c in chips}
        self.opened = 0
        self.closed = 0

    def open(self, bus_number: int) -> FakeBus:
        """The ``smbus`` factory the sensors take: bus_number -> this bus."""
        self.opened += 1
        self.bus_number = bus_number
        return self

    def close(self) -> None:
        self.closed += 1

    def _chip(self, address: int) -> FakeChip:
        chip = self.chips.get(address)
        if chip is None or chip.nack:
            raise OSError(EREMOTEIO, "Remote I/O error")
        if chip.errno_on_access:
            raise OSError(chip.errno_on_access, errno.errorcode[chip.errno_on_access])
        return chip

    def write_byte(self, address: int, value: int) -> None:
        self._chip(address).command(value)

    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
        self._chip(address).write_register(register, data)

    def read_i2c_block_data(self, address: int, register: int, length: int) -> list[int]:
        return self._chip(address).read_register(register, length)

    def i2c_rdwr(self, *messages) -> None:
        for msg in messages:
            data = self._chip(msg.addr).read_bytes(msg.len)
            for i, b in enumerate(data):
                msg.buf[i] = bytes([b])


class FakeChip:
    """Base of the modelled chips: an address and fault switches."""

    address = 0

    def __init__(self) -> None:
        self.nack = False
        self.errno_on_access = 0

    def command(self, value: int) -> None:
        raise OSError(errno.EIO, "unexpected command")

    def write_register(self, register: int, data: list[int]) -> None:
        raise OSError(errno.EIO, "unexpected register write")

    def read_register(self, register: int, length: int) -> list[int]:
        raise OSError(errno.EIO, "unexpected register read")

    def read_bytes(self, length: int) -> list[int]:
        raise OSError(errno.EIO, "unexpected raw read")


class FakeBH1750(FakeChip):
    """BH1750: power on, one-time high-res; the result is ready 120 ms (fake time) later.

    Read too early, it returns its previous data register, as the chip does.
    """

    def __init__(self, time: FakeTime, address: int = 0x23) -> None:
        super().__init__()
        self.time, self.address = time, address
        self.powered = False
        self.raw = 0  # what the photodiode would measure now
        self.register = 0
        self._started: float | None = None

    def command(self, value: int) -> None:
        if value == 0x01:
            self.powered = True
        elif value == 0x00:
            self.powered = False
        elif value == 0x20 and self.powered:
            self._started = self.time.now
        elif value != 0x20:
            raise OSError(errno.EIO, f"unknown opcode {value:#x}")

    def read_bytes(self, length: int) -> list[int]:
        if self._started is not None and self.time.now - self._started >= 0.12:
            self.register, self._started, self.powered = self.raw, None, False
        return [self.register >> 8, self.register & 0xFF][:length]


class FakeADS1115(FakeChip):
    """ADS1115: config/conversion registers, single-shot mode, PGA, single-ended MUX.

    A conversion finishes after ``polls`` reads of the config register; ``stall`` keeps
    it busy forever.
    """

    FSR = {0: 6.144, 1: 4.096, 2: 2.048, 3: 1.024, 4: 0.512, 5: 0.256, 6: 0.256, 7: 0.256}

    def __init__(self, address: int = 0x48, polls: int = 2) -> None:
        super().__init__()
        self.address, self.polls = address, polls
        self.volts = [0.0] * 4
        self.config = 0x8583  # power-on default: idle, AIN0/AIN1, 2.048 V, single-shot
        self.conversion = 0
        self.stall = False
        self._busy = 0

    def write_register(self, register: int, data: list[int]) -> None:
        word = data[0] << 8 | data[1]
        if register == 0x01:
            self.config = word & 0x7FFF
            if word & 0x8000 and word & 0x0100:
                self._busy = self.polls
        elif register in (0x02, 0x03):
            pass  # thresholds: unused
        else:
            raise OSError(errno.EIO, "read-only register")

    def _convert(self) -> None:
        mux = (self.config >> 12) & 0b111
        fsr = self.FSR[(self.config >> 9) & 0b111]
        v = self.volts[mux - 4] if mux >= 4 else 0.0
        code = round(v / fsr * 32768)
        self.conversion = max(-32768, min(32767, code)) & 0xFFFF
        self.config |= 0x8000

    def read_register(self, register: int, length: int) -> list[int]:
        if register == 0x01:
            if self._busy and not self.stall:
                self._busy -= 1
                if self._busy == 0:
                    self._convert()
            value = self.config
        elif register == 0x00:
            value = self.conversion
        else:
            raise OSError(errno.EIO, "unknown register")
        return [value >> 8, value & 0xFF][:length]


class FakeMCP3008(MockSPIDevice):
    """An MCP3008 answering gpiozero's software SPI like the chip."""

    def __init__(self, clock=11, mosi=10, miso=9, select=8, vref=3.3, *, pin_factory=None):
        super().__init__(clock, mosi, miso, select, pin_factory=pin_factory)
        self.vref, self.channels, self.state = vref, [0.0] * 8, "idle"

    def on_start(self):
        super().on_start()
        self.state = "idle"

    def on_bit(self):
        if self.state == "idle":
            if self.rx_buf[-1]:
                self.state, self.rx_buf = "mode", []
        elif self.state == "mode":
            self.state, self.rx_buf = ("single" if self.rx_buf[-1] else "diff"), []
        elif self.state in ("single", "diff") and len(self.rx_buf) == 3:
            v = min(max(self.channels[self.rx_word()], 0), self.vref)
            self.tx_word(min(int(v / self.vref * 1024), 1023), 12)
            self.state = "result"
        elif self.state == "result" and not self.tx_buf:
            self.state, self.rx_buf = "idle", []
