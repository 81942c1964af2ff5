#pragma once

#include <cstddef>
#include <vector>

// A first-in first-out queue of ints with a fixed capacity.
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity);

    bool push(int value);
    void push_overwrite(int value);
    int pop();
    int peek() const;
    int at(std::size_t i) const;

    std::size_t size() const;
    std::size_t capacity() const;
    bool empty() const;
    bool full() const;
    void clear();

private:
    std::vector<int> data_;
    std::size_t head_ = 0;   // index of the oldest element
    std::size_t count_ = 0;  // number of stored elements
};
