#include "ring_buffer.h"

#include <stdexcept>

RingBuffer::RingBuffer(std::size_t capacity) {
    (void)capacity;
    throw std::logic_error("RingBuffer is not implemented");
}

bool RingBuffer::push(int value) { (void)value; throw std::logic_error("not implemented"); }
void RingBuffer::push_overwrite(int value) { (void)value; throw std::logic_error("not implemented"); }
int RingBuffer::pop() { throw std::logic_error("not implemented"); }
int RingBuffer::peek() const { throw std::logic_error("not implemented"); }
int RingBuffer::at(std::size_t i) const { (void)i; throw std::logic_error("not implemented"); }
std::size_t RingBuffer::size() const { throw std::logic_error("not implemented"); }
std::size_t RingBuffer::capacity() const { throw std::logic_error("not implemented"); }
bool RingBuffer::empty() const { throw std::logic_error("not implemented"); }
bool RingBuffer::full() const { throw std::logic_error("not implemented"); }
void RingBuffer::clear() { throw std::logic_error("not implemented"); }
