#include "ring_buffer.h"

#include <stdexcept>

RingBuffer::RingBuffer(std::size_t capacity) {
    if (capacity == 0) {
        throw std::invalid_argument("RingBuffer capacity must be positive");
    }
    data_.resize(capacity);
}

bool RingBuffer::push(int value) {
    if (full()) {
        return false;
    }
    data_[(head_ + count_) % data_.size()] = value;
    ++count_;
    return true;
}

void RingBuffer::push_overwrite(int value) {
    if (full()) {
        data_[head_] = value;
        head_ = (head_ + 1) % data_.size();
        return;
    }
    push(value);
}

int RingBuffer::pop() {
    int value = peek();
    head_ = (head_ + 1) % data_.size();
    --count_;
    return value;
}

int RingBuffer::peek() const {
    if (empty()) {
        throw std::out_of_range("RingBuffer is empty");
    }
    return data_[head_];
}

int RingBuffer::at(std::size_t i) const {
    if (i >= count_) {
        throw std::out_of_range("RingBuffer index out of range");
    }
    return data_[(head_ + i) % data_.size()];
}

std::size_t RingBuffer::size() const { return count_; }
std::size_t RingBuffer::capacity() const { return data_.size(); }
bool RingBuffer::empty() const { return count_ == 0; }
bool RingBuffer::full() const { return count_ == data_.size(); }

void RingBuffer::clear() {
    head_ = 0;
    count_ = 0;
}
